// facenorm._core.train_shape_predictor: dlib's shape-predictor trainer on NumPy faces.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/shape_training.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {
namespace {

cv::Mat gray_view(const py::array& a, size_t i) {
  if (!py::isinstance<py::array_t<uint8_t>>(a) || a.ndim() != 2 || !(a.flags() & py::array::c_style))
    throw InputTypeError("faces[" + std::to_string(i) + "]: expected a C-contiguous uint8 (H, W) grayscale array, got " +
                         py_convert::describe(a));
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_8UC1, const_cast<void*>(a.data()));
}

}  // namespace

void bind_shape_training(py::module_& m) {
  m.def(
      "train_shape_predictor",
      [](const std::vector<py::array>& faces, const std::vector<std::vector<float>>& boxes,
         const std::vector<py::array>& points, const std::string& out_path, int cascade_depth, int tree_depth,
         int trees_per_cascade_level, double nu, int oversampling, int feature_pool_size, double lambda,
         int num_test_splits, int threads, const std::string& seed, bool verbose) {
        std::vector<cv::Mat> gray;
        std::vector<FaceBox> fb;
        std::vector<Landmarks> pts;
        for (size_t i = 0; i < faces.size(); ++i) gray.push_back(gray_view(faces[i], i));
        for (const auto& b : boxes) {
          if (b.size() != 4) throw InputError("boxes: expected (x0, y0, x1, y1) per face");
          fb.push_back(FaceBox{b[0], b[1], b[2], b[3], 0.f});
        }
        for (const auto& p : points) pts.push_back(py_convert::landmarks_from(p, "points"));
        ShapeTrainingOptions o{cascade_depth, tree_depth, trees_per_cascade_level, nu, oversampling,
                               feature_pool_size, lambda, num_test_splits, threads, seed, verbose};
        ShapeTrainingResult r;
        {
          py::gil_scoped_release release;  // minutes of dlib's threads; the arrays outlive the call
          r = train_shape_predictor(gray, fb, pts, o, out_path);
        }
        return py::dict("train_error_px"_a = r.train_error_px, "samples"_a = r.samples);
      },
      "faces"_a, "boxes"_a, "points"_a, "out_path"_a, "cascade_depth"_a = 10, "tree_depth"_a = 4,
      "trees_per_cascade_level"_a = 500, "nu"_a = 0.1, "oversampling"_a = 20, "feature_pool_size"_a = 400,
      "lambda_"_a = 0.1, "num_test_splits"_a = 20, "threads"_a = 2, "seed"_a = "facenorm", "verbose"_a = false,
      "Train dlib's 68-point shape predictor on uint8 grayscale faces, their boxes (x0, y0, x1, y1) and\n"
      "float32 (68, 2) points; writes out_path (loadable as a LandmarkPredictor) atomically and returns\n"
      "{'train_error_px', 'samples'}. Defaults are dlib's.");
}

}  // namespace facenorm
