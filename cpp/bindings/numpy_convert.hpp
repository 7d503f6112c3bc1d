// Validation and zero-copy conversion between NumPy arrays and cv::Mat / landmarks.
// Arrays are never silently cast: wrong dtype -> TypeError, wrong shape/layout -> ValueError.
#pragma once

#include <string>

#include <opencv2/core.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "facenorm/landmarks.hpp"

namespace facenorm::py_convert {

namespace py = pybind11;

std::string describe(const py::array& a);  // "float64 array of shape (10, 3)"

// A view of an RGB uint8 (H, W, 3) C-contiguous array; the array must outlive the Mat.
cv::Mat rgb_view(const py::array& a, const char* name = "image");
// A view of a 2-D float32 (H, W) C-contiguous array.
cv::Mat float_view(const py::array& a, const char* name);
// The same, for arrays the kernel writes into: also rejects read-only arrays.
cv::Mat writable_view(const py::array& a, int cv_type, int rows, int cols, const char* name);

Landmarks landmarks_from(const py::array& a, const char* name = "landmarks");
py::array_t<float> landmarks_to_array(const Landmarks& pts);

// Moves the Mat to the heap and hands its buffer to NumPy (a capsule owns it): no copy.
py::array mat_to_array(cv::Mat mat);

py::array_t<double> matx_to_array(const cv::Matx23d& m);

}  // namespace facenorm::py_convert
