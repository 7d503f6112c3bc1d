#include "bindings.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/score.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {
namespace {

// A view of a float32 (H, W) or (H, W, C) heatmap, C in 1..4, C-contiguous.
cv::Mat heatmap_view(const py::array& a) {
  if (!a.dtype().equal(py::dtype::of<float>()))
    throw InputTypeError("heatmap: expected a float32 array of shape (H, W) or (H, W, C), got " + py_convert::describe(a));
  if (a.ndim() != 2 && a.ndim() != 3)
    throw InputError("heatmap: expected shape (H, W) or (H, W, C), got " + py_convert::describe(a));
  int cn = a.ndim() == 3 ? int(a.shape(2)) : 1;
  if (cn < 1 || cn > 4) throw InputError("heatmap: expected 1 to 4 channels, got " + py_convert::describe(a));
  if (a.shape(0) == 0 || a.shape(1) == 0) throw InputError("heatmap: expected a non-empty array, got " + py_convert::describe(a));
  if (!(a.flags() & py::array::c_style))
    throw InputError("heatmap: expected a C-contiguous array, got a strided view of " + py_convert::describe(a) +
                     " (use numpy.ascontiguousarray)");
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_MAKETYPE(CV_32F, cn), const_cast<void*>(a.data()));
}

// None = everywhere; else a float32 (H, W) C-contiguous array of the image's/heatmap's shape.
cv::Mat mask_view(const py::object& mask, const cv::Mat& like) {
  if (mask.is_none()) return cv::Mat();
  if (!py::isinstance<py::array>(mask))
    throw InputTypeError("mask: expected a float32 NumPy array of shape (H, W) with values in [0, 1] or None, got " +
                         std::string(py::str(py::type::of(mask).attr("__name__"))));
  py::array arr = py::reinterpret_borrow<py::array>(mask);
  cv::Mat m = py_convert::float_view(arr, "mask");
  if (m.size() != like.size())
    throw InputError("mask: expected shape (" + std::to_string(like.rows) + ", " + std::to_string(like.cols) +
                     ") like the image/heatmap, got " + py_convert::describe(arr));
  return m;
}

cv::Mat rgb_pair_second(const py::array& original, const py::array& normalized, const cv::Mat& a) {
  cv::Mat b = py_convert::rgb_view(normalized, "normalized");
  if (b.size() != a.size())
    throw InputError("normalized: expected the shape of original " + py_convert::describe(original) + ", got " +
                     py_convert::describe(normalized));
  return b;
}

py::array restore_shape(py::array result, const py::array& like) {
  if (like.ndim() == 3 && like.shape(2) == 1) result = result.reshape({like.shape(0), like.shape(1), py::ssize_t(1)});
  return result;
}

py::dict score_dict(const HeatmapScore& s) {
  py::dict d;
  d["score"] = s.score;
  d["frobenius"] = s.frobenius;
  d["pixels"] = s.pixels;
  d["capped"] = s.capped;
  return d;
}

}  // namespace

// The Python entry of a heatmap kernel over an (original, normalized) pair: checks, GIL release.
template <typename Kernel>
auto pair_heatmap(Kernel kernel) {
  return [kernel](const py::array& original, const py::array& normalized, const std::string& colour, int erosion) {
    cv::Mat a = py_convert::rgb_view(original, "original");
    cv::Mat b = rgb_pair_second(original, normalized, a);
    HeatmapOptions o{parse_colour_space(colour), erosion};
    cv::Mat out;
    {
      py::gil_scoped_release release;
      out = kernel(a, b, o);
    }
    return py_convert::mat_to_array(std::move(out));
  };
}

void bind_score(py::module_& m) {
  m.attr("SCORE_FLOOR") = kScoreFloor;

  m.def(
      "rgb_to_ycbcr",
      [](const py::array& image) {
        cv::Mat view = py_convert::rgb_view(image);
        cv::Mat out;
        {
          py::gil_scoped_release release;
          out = rgb_to_ycbcr(view);
        }
        return py_convert::mat_to_array(std::move(out));
      },
      "image"_a,
      R"(RGB uint8 (H, W, 3) -> float32 (H, W, 3) YCbCr (PLOS ONE eq. 3): ITU-R BT.601 with offsets,
with R' = R / 255 etc. in [0, 1]:
    Y  =  16 + 65.481 R' + 128.553 G' +  24.966 B'
    Cb = 128 - 37.797 R' -  74.203 G' + 112.0   B'
    Cr = 128 + 112.0  R' -  93.786 G' -  18.214 B')");

  m.def(
      "pse_heatmap",
      pair_heatmap(pse_heatmap),
      "original"_a, "normalized"_a, "colour"_a = "ycbcr", "erosion"_a = 3,
      R"(Pixelwise squared error heatmap H (PLOS ONE eqs. 3-5), float32 (H, W, 3).
original, normalized: RGB uint8 (H, W, 3) of the same shape. colour: "ycbcr" (eq. 3, BT.601
with offsets, see rgb_to_ycbcr) or "rgb" (channels as 0-255).
    H[p, c] = (X_orig[p, c] - X_norm[p, c])^2            (eq. 4)
then, when erosion is an odd size >= 3, each channel is replaced by its minimum over an
erosion x erosion square, border replicated (eq. 5); erosion 0 or 1 = off. The default, ycbcr
+ 3 x 3 erosion, is the paper's "+Both".)");

  m.def(
      "ssim_heatmap",
      pair_heatmap(ssim_heatmap),
      "original"_a, "normalized"_a, "colour"_a = "ycbcr", "erosion"_a = 0,
      R"(1 - SSIM heatmap, float32 (H, W, 3), per channel in the chosen colour space ("ycbcr" or "rgb").
SSIM of Wang et al. 2004 with a Gaussian window (11 x 11, sigma 1.5), population covariances,
C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, reflected borders:
    SSIM = (2 ux uy + C1)(2 vxy + C2) / ((ux^2 + uy^2 + C1)(vx + vy + C2))
It equals 1 - the S map of skimage.metrics.structural_similarity(original, normalized,
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, full=True,
channel_axis=-1) (computed in double, stored as float32; rounding residues below 0 are set
to 0). Then the optional erosion of pse_heatmap (default off).)");

  m.def(
      "erode_heatmap",
      [](const py::array& heatmap, int size) {
        cv::Mat view = heatmap_view(heatmap);
        cv::Mat out;
        {
          py::gil_scoped_release release;
          out = erode_heatmap(view, size);
        }
        return restore_shape(py_convert::mat_to_array(std::move(out)), heatmap);
      },
      "heatmap"_a, "size"_a,
      R"(Erosion of a heatmap (PLOS ONE eq. 5): each channel's minimum over a size x size square,
border replicated. heatmap: float32 (H, W) or (H, W, C), C <= 4; returns the same shape.
size 0 or 1 returns a copy; otherwise it must be odd.)");

  m.def(
      "heatmap_score",
      [](const py::array& heatmap, const py::object& mask) {
        cv::Mat view = heatmap_view(heatmap);
        cv::Mat mview = mask_view(mask, view);
        HeatmapScore s;
        {
          py::gil_scoped_release release;
          s = heatmap_score(view, mview);
        }
        return score_dict(s);
      },
      "heatmap"_a, "mask"_a = py::none(),
      R"(Anomaly score of a heatmap (PLOS ONE eq. 6) -> dict(score, frobenius, pixels, capped).
heatmap: float32 (H, W) or (H, W, C), finite and >= 0 (it is already a squared error or
1 - SSIM). mask: float32 (H, W) in [0, 1] (soft masks weight the pixels) or None = everywhere.
    frobenius = ||H||_F = sqrt(sum_p m_p * sum_c H[p, c])     (summed, not squared again)
    pixels    = N = sum_p m_p                                  (pixels, not pixels x channels)
    score     = S = -ln(max(||H||_F / N, SCORE_FLOOR))
Sign: LARGER score = SMALLER difference = MORE NORMAL (the paper's prose says the opposite of its
eq. 6; this follows the equation). Identical images give ||H||_F = 0: score = -ln(1e-9) =
20.7233 and capped = True, never NaN. Raises InputError for a mask that selects no pixels, has
values outside [0, 1], or another shape, and for negative or non-finite heatmap values.)");

  m.def(
      "pse_score",
      [](const py::array& original, const py::array& normalized, const py::object& mask, const std::string& colour,
         int erosion, bool return_heatmap) -> py::object {
        cv::Mat a = py_convert::rgb_view(original, "original");
        cv::Mat b = rgb_pair_second(original, normalized, a);
        cv::Mat mview = mask_view(mask, a);
        HeatmapOptions o{parse_colour_space(colour), erosion};
        HeatmapScore s;
        cv::Mat heat;
        {
          py::gil_scoped_release release;
          s = pse_score(a, b, mview, o, return_heatmap ? &heat : nullptr);
        }
        if (!return_heatmap) return score_dict(s);
        return py::make_tuple(score_dict(s), py_convert::mat_to_array(std::move(heat)));
      },
      "original"_a, "normalized"_a, "mask"_a = py::none(), "colour"_a = "ycbcr", "erosion"_a = 3,
      "return_heatmap"_a = false,
      R"(heatmap_score(pse_heatmap(original, normalized, colour, erosion), mask) in one fused pass
over the images, bit-identical to the two calls (see their docstrings for eqs. 3-6 and the sign
convention: larger score = more normal). With return_heatmap=True returns (dict, heatmap).)");
}

}  // namespace facenorm
