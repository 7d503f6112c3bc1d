#include "numpy_convert.hpp"

#include <sstream>

#include "facenorm/errors.hpp"

namespace facenorm::py_convert {

std::string describe(const py::array& a) {
  std::ostringstream s;
  s << py::str(a.dtype()).cast<std::string>() << " array of shape (";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
  s << (a.ndim() == 1 ? ",)" : ")");
  return s.str();
}

namespace {

void require_dtype(const py::array& a, const py::dtype& dt, const char* name, const char* expected) {
  if (!a.dtype().is(dt) && !a.dtype().equal(dt))
    throw InputTypeError(std::string(name) + ": expected " + expected + ", got " + describe(a) +
                         " (convert explicitly, e.g. with .astype(), or use facenorm.as_rgb8)");
}

void require_c_contiguous(const py::array& a, const char* name) {
  if (!(a.flags() & py::array::c_style))
    throw InputError(std::string(name) + ": expected a C-contiguous array, got a strided view of " + describe(a) +
                     " (use numpy.ascontiguousarray)");
}

}  // namespace

cv::Mat rgb_view(const py::array& a, const char* name) {
  require_dtype(a, py::dtype::of<std::uint8_t>(), name, "a uint8 RGB image of shape (H, W, 3)");
  if (a.ndim() != 3 || a.shape(2) != 3)
    throw InputError(std::string(name) + ": expected shape (H, W, 3) RGB, got " + describe(a));
  require_c_contiguous(a, name);
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_8UC3, const_cast<void*>(a.data()));
}

cv::Mat float_view(const py::array& a, const char* name) {
  require_dtype(a, py::dtype::of<float>(), name, "a float32 array of shape (H, W)");
  if (a.ndim() != 2) throw InputError(std::string(name) + ": expected shape (H, W), got " + describe(a));
  require_c_contiguous(a, name);
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_32F, const_cast<void*>(a.data()));
}

cv::Mat writable_view(const py::array& a, int cv_type, int rows, int cols, const char* name) {
  int channels = CV_MAT_CN(cv_type);
  bool is_u8 = CV_MAT_DEPTH(cv_type) == CV_8U;
  const char* dtype_name = is_u8 ? "uint8" : "float32";
  std::string want = std::string(dtype_name) + " array of shape (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + (channels > 1 ? ", " + std::to_string(channels) : std::string()) + ")";
  require_dtype(a, is_u8 ? py::dtype::of<std::uint8_t>() : py::dtype::of<float>(), name, want.c_str());
  bool shape_ok = a.ndim() == (channels > 1 ? 3 : 2) && a.shape(0) == rows && a.shape(1) == cols &&
                  (channels == 1 || a.shape(2) == channels);
  if (!shape_ok) throw InputError(std::string(name) + ": expected " + want + ", got " + describe(a));
  require_c_contiguous(a, name);
  if (!a.writeable()) throw InputError(std::string(name) + ": expected a writable array, got a read-only one");
  return cv::Mat(rows, cols, cv_type, const_cast<void*>(a.data()));
}

Landmarks landmarks_from(const py::array& a, const char* name) {
  require_dtype(a, py::dtype::of<float>(), name, "a float32 array of shape (68, 2) with (x, y) pixels");
  if (a.ndim() != 2 || a.shape(0) != kNumLandmarks || a.shape(1) != 2)
    throw InputError(std::string(name) + ": expected shape (68, 2) (iBUG 300-W order, x then y), got " + describe(a));
  require_c_contiguous(a, name);
  const float* d = static_cast<const float*>(a.data());
  Landmarks pts(kNumLandmarks);
  for (int i = 0; i < kNumLandmarks; ++i) pts[size_t(i)] = cv::Point2f(d[2 * i], d[2 * i + 1]);
  return pts;
}

py::array_t<float> landmarks_to_array(const Landmarks& pts) {
  py::array_t<float> out({py::ssize_t(pts.size()), py::ssize_t(2)});
  auto m = out.mutable_unchecked<2>();
  for (size_t i = 0; i < pts.size(); ++i) {
    m(py::ssize_t(i), 0) = pts[i].x;
    m(py::ssize_t(i), 1) = pts[i].y;
  }
  return out;
}

py::array mat_to_array(cv::Mat mat) {
  if (!mat.isContinuous()) mat = mat.clone();
  auto* owner = new cv::Mat(std::move(mat));
  py::capsule base(owner, [](void* p) { delete static_cast<cv::Mat*>(p); });
  py::dtype dt;
  switch (owner->depth()) {
    case CV_8U: dt = py::dtype::of<std::uint8_t>(); break;
    case CV_32F: dt = py::dtype::of<float>(); break;
    case CV_64F: dt = py::dtype::of<double>(); break;
    default: throw Error("internal: unsupported Mat depth for NumPy conversion");
  }
  std::vector<py::ssize_t> shape{owner->rows, owner->cols};
  if (owner->channels() > 1) shape.push_back(owner->channels());
  return py::array(dt, shape, owner->data, base);
}

py::array_t<double> matx_to_array(const cv::Matx23d& m) {
  py::array_t<double> out({2, 3});
  auto w = out.mutable_unchecked<2>();
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) w(r, c) = m(r, c);
  return out;
}

}  // namespace facenorm::py_convert
