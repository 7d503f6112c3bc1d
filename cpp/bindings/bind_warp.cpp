#include "bindings.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/warp.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {
namespace {

std::vector<cv::Point2f> points_from(const py::array& a, const char* name) {
  if (!a.dtype().equal(py::dtype::of<float>()))
    throw InputTypeError(std::string(name) + ": expected a float32 array of shape (N, 2), got " + py_convert::describe(a));
  if (a.ndim() != 2 || a.shape(1) != 2)
    throw InputError(std::string(name) + ": expected shape (N, 2) with (x, y) pixels, got " + py_convert::describe(a));
  if (!(a.flags() & py::array::c_style)) throw InputError(std::string(name) + ": expected a C-contiguous array");
  const float* d = static_cast<const float*>(a.data());
  std::vector<cv::Point2f> pts;
  for (py::ssize_t i = 0; i < a.shape(0); ++i) pts.emplace_back(d[2 * i], d[2 * i + 1]);
  return pts;
}

cv::Mat image_view(const py::array& a) {
  bool u8 = a.dtype().equal(py::dtype::of<std::uint8_t>()), f32 = a.dtype().equal(py::dtype::of<float>());
  if (!u8 && !f32)
    throw InputTypeError("image: expected a uint8 or float32 array of shape (H, W) or (H, W, C), got " +
                         py_convert::describe(a));
  if (a.ndim() != 2 && a.ndim() != 3) throw InputError("image: expected shape (H, W) or (H, W, C), got " + py_convert::describe(a));
  if (!(a.flags() & py::array::c_style)) throw InputError("image: expected a C-contiguous array");
  int cn = a.ndim() == 3 ? int(a.shape(2)) : 1;
  if (cn < 1 || cn > CV_CN_MAX) throw InputError("image: expected 1 to 512 channels");
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_MAKETYPE(u8 ? CV_8U : CV_32F, cn), const_cast<void*>(a.data()));
}

}  // namespace

void bind_warp(py::module_& m) {
  m.def(
      "delaunay_with_anchors",
      [](const py::array& points, std::pair<int, int> shape) {
        auto pts = points_from(points, "points");
        std::vector<cv::Point2f> all;
        auto tris = delaunay_with_anchors(pts, cv::Size(shape.second, shape.first), &all);
        py::array_t<std::int32_t> t({py::ssize_t(tris.size()), py::ssize_t(3)});
        auto w = t.mutable_unchecked<2>();
        for (size_t i = 0; i < tris.size(); ++i)
          for (int k = 0; k < 3; ++k) w(py::ssize_t(i), k) = tris[i][size_t(k)];
        py::array_t<float> a({py::ssize_t(all.size()), py::ssize_t(2)});
        auto wa = a.mutable_unchecked<2>();
        for (size_t i = 0; i < all.size(); ++i) wa(py::ssize_t(i), 0) = all[i].x, wa(py::ssize_t(i), 1) = all[i].y;
        return py::make_tuple(t, a);
      },
      "points"_a, "shape"_a,
      "The triangulation piecewise_affine_warp uses: (triangles int32 (T, 3), points + 8 border anchors). "
      "shape is (H, W).");

  m.def(
      "piecewise_affine_warp",
      [](const py::array& image, const py::array& src_points, const py::array& dst_points, bool return_mask) -> py::object {
        cv::Mat view = image_view(image);
        auto src = points_from(src_points, "src_points");
        auto dst = points_from(dst_points, "dst_points");
        cv::Mat out, mask;
        {
          py::gil_scoped_release release;
          out = piecewise_affine_warp(view, src, dst, return_mask ? &mask : nullptr);
        }
        py::array result = py_convert::mat_to_array(std::move(out));
        if (image.ndim() == 3 && image.shape(2) == 1) result = result.reshape({image.shape(0), image.shape(1), py::ssize_t(1)});
        if (!return_mask) return std::move(result);
        return py::make_tuple(result, py_convert::mat_to_array(std::move(mask)));
      },
      "image"_a, "src_points"_a, "dst_points"_a, "return_mask"_a = false,
      R"(Move image content from src_points to dst_points (float32 (N, 2) pixel x, y) by a
piecewise-affine warp over the Delaunay triangulation of the points plus 8 border anchors.
Only triangles with a moved vertex are resampled (bilinear); all other pixels are returned
bit-identical. image: uint8 or float32, (H, W) or (H, W, C). Raises InputError for NaN or
out-of-image points, coinciding points, and moves that would collapse or flip a triangle.
With return_mask=True also returns the uint8 (H, W) mask (255) of the resampled pixels.)");
}

}  // namespace facenorm
