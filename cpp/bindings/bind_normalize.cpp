#include <pybind11/stl.h>

#include "bindings.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"
#include "facenorm/normalizer.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {
namespace {

// A float32 C-contiguous array of the given number of dimensions, viewed as one Mat row/matrix.
cv::Mat float_array(const py::array& a, int ndim, const char* name) {
  if (!a.dtype().equal(py::dtype::of<float>()))
    throw InputTypeError(std::string(name) + ": expected a float32 array, got " + py_convert::describe(a));
  if (a.ndim() != ndim)
    throw InputError(std::string(name) + ": expected " + std::to_string(ndim) + " dimension(s), got " +
                     py_convert::describe(a));
  if (!(a.flags() & py::array::c_style)) throw InputError(std::string(name) + ": expected a C-contiguous array");
  int rows = ndim == 2 ? int(a.shape(0)) : 1, cols = ndim == 2 ? int(a.shape(1)) : int(a.shape(0));
  return cv::Mat(rows, cols, CV_32F, const_cast<void*>(a.data()));
}

py::array_t<float> to_array(const std::vector<float>& v) {
  py::array_t<float> out(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

}  // namespace

void bind_normalize(py::module_& m) {
  m.def(
      "robust_subspace_projection",
      [](const py::array& x, const py::array& mean, const py::array& basis, const py::array& stddev,
         const py::array& sigma, int group, double tukey_c, double coefficient_bound, int max_iterations,
         double tolerance) {
        cv::Mat xm = float_array(x, 1, "x"), mm = float_array(mean, 1, "mean"), bm = float_array(basis, 2, "basis"),
                sd = float_array(stddev, 1, "stddev"), sg = float_array(sigma, 1, "sigma");
        RobustProjectionOptions o{group, tukey_c, coefficient_bound, max_iterations, tolerance};
        RobustProjection r;
        {
          py::gil_scoped_release release;
          r = robust_subspace_projection(xm, mm, bm, sd, sg, o);
        }
        py::dict d;
        d["coefficients"] = to_array(r.coefficients);
        d["reconstruction"] = to_array(r.reconstruction);
        d["weights"] = to_array(r.weights);
        d["iterations"] = r.iterations;
        return d;
      },
      "x"_a, "mean"_a, "basis"_a, "stddev"_a, "sigma"_a, "group"_a = 1, "tukey_c"_a = 4.685,
      "coefficient_bound"_a = 3.0, "max_iterations"_a = 30, "tolerance"_a = 1e-4,
      "Robust (Tukey-IRLS) projection of x (D,) onto an orthonormal PCA basis (K, D), all float32. "
      "sigma (D/group,) is each group's residual scale on normal faces; coefficients are clamped to "
      "+-coefficient_bound * stddev (K,). Returns {coefficients, reconstruction, weights (D/group,), iterations}.");

  m.def(
      "fit_shape_robust",
      [](const py::array& landmarks, const py::array& mean_shape, const py::array& basis, const py::array& stddev,
         const py::array& sigma, double tukey_c, double coefficient_bound, int rounds, double move_beyond_sigma,
         const std::vector<int>& movable) {
        ShapeModel model{py_convert::landmarks_from(mean_shape, "mean_shape"), float_array(basis, 2, "basis"),
                         float_array(stddev, 1, "stddev"), float_array(sigma, 1, "sigma")};
        Landmarks pts = py_convert::landmarks_from(landmarks);
        ShapeFitOptions o{tukey_c, coefficient_bound, rounds, move_beyond_sigma, movable};
        ShapeFit fit;
        {
          py::gil_scoped_release release;
          fit = fit_shape_robust(model, pts, o);
        }
        py::dict d;
        d["target"] = py_convert::landmarks_to_array(fit.target);
        d["projection"] = py_convert::landmarks_to_array(fit.projection);
        d["weights"] = to_array(fit.weights);
        d["iterations"] = fit.iterations;
        return d;
      },
      "landmarks"_a, "mean_shape"_a, "basis"_a, "stddev"_a, "sigma"_a, "tukey_c"_a = 4.685,
      "coefficient_bound"_a = 3.0, "rounds"_a = 4, "move_beyond_sigma"_a = 2.0, "movable"_a = std::vector<int>{},
      "Robust fit of the normal-face model's shape part to float32 (68, 2) landmarks: weighted similarity + "
      "Tukey-IRLS projection, alternated. Returns {target (corrected landmarks), projection, weights (68,), "
      "iterations}; movable = point indices allowed to move (empty: nose and mouth).");

  m.def(
      "warp_towards",
      [](const py::array& image, const py::array& landmarks, const py::array& target) {
        cv::Mat rgb = py_convert::rgb_view(image);
        Landmarks pts = py_convert::landmarks_from(landmarks), to = py_convert::landmarks_from(target, "target");
        WarpTowards w;
        {
          py::gil_scoped_release release;
          w = warp_towards(rgb, pts, to);
        }
        return py::make_tuple(py_convert::mat_to_array(std::move(w.image)), py_convert::landmarks_to_array(w.target),
                              w.fraction);
      },
      "image"_a, "landmarks"_a, "target"_a,
      "(image warped so landmarks move to target, the landmarks reached, the fraction of the move applied): a "
      "move that would fold the mesh is halved down to 1/8; 0 = refused, image unchanged.");

  m.def(
      "face_chip",
      [](const py::array& image, const py::array& landmarks, int size, double padding) {
        cv::Mat rgb = py_convert::rgb_view(image);
        Landmarks pts = py_convert::landmarks_from(landmarks);
        cv::Mat chip;
        {
          py::gil_scoped_release release;
          chip = face_chip(rgb, pts, size, padding);
        }
        return py_convert::mat_to_array(std::move(chip));
      },
      "image"_a, "landmarks"_a, "size"_a = 150, "padding"_a = 0.25,
      "The size x size RGB uint8 face chip of dlib's face-recognition model (dlib::get_face_chip_details "
      "on the 68 landmarks, float32 (68, 2)), extracted by dlib's own interpolation.");
}

}  // namespace facenorm
