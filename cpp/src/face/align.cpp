#include "facenorm/align.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"

namespace facenorm {

Landmarks transform_points(const Landmarks& pts, const cv::Matx23d& m) {
  Landmarks out(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    const auto& p = pts[i];
    out[i] = cv::Point2f(float(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)), float(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)));
  }
  return out;
}

cv::Matx23d alignment_matrix(const Landmarks& pts, const AlignOptions& o) {
  if (o.size < 64 || o.size > 8192) throw InputError("align size: expected 64 to 8192 pixels, got " + std::to_string(o.size));
  if (!(o.eye_distance > 1.0) || o.eye_distance > o.size)
    throw InputError("eye_distance: expected more than 1 pixel and at most the output size");
  cv::Point2d r = right_eye_centre(pts), l = left_eye_centre(pts);
  cv::Point2d d = l - r;  // subject's right eye is on the image left
  double dist = std::hypot(d.x, d.y);
  if (dist < 2.0) throw InputError("landmarks: eye centres coincide; expected a face with two distinct eyes");
  double angle = std::atan2(d.y, d.x);
  double s = o.eye_distance / dist;
  double c = std::cos(-angle) * s, sn = std::sin(-angle) * s;
  cv::Point2d mid = (r + l) * 0.5;
  cv::Point2d target(o.eyes_x * o.size, o.eyes_y * o.size);
  // x' = c*x - sn*y + tx ; y' = sn*x + c*y + ty : rotate by -angle about the eye midpoint, scale.
  double tx = target.x - (c * mid.x - sn * mid.y);
  double ty = target.y - (sn * mid.x + c * mid.y);
  return cv::Matx23d(c, -sn, tx, sn, c, ty);
}

namespace {

// Gaussian blur of a large image at a quarter of its resolution: the same look for a wide
// sigma at a fraction of the cost.
cv::Mat wide_blur(const cv::Mat& img, double sigma) {
  const int factor = sigma >= 8 ? 4 : 1;
  cv::Mat small;
  cv::resize(img, small, cv::Size(img.cols / factor, img.rows / factor), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(), sigma / factor);
  cv::Mat out;
  cv::resize(small, out, img.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

// Output corners mapped back into the source: the source rectangle the crop needs.
cv::Rect2d preimage_bounds(const cv::Matx23d& m, cv::Size out_size) {
  cv::Matx23d inv;
  cv::invertAffineTransform(m, inv);
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (cv::Point2d c : {cv::Point2d(0, 0), cv::Point2d(out_size.width, 0), cv::Point2d(0, out_size.height),
                        cv::Point2d(out_size.width, out_size.height)}) {
    double x = inv(0, 0) * c.x + inv(0, 1) * c.y + inv(0, 2), y = inv(1, 0) * c.x + inv(1, 1) * c.y + inv(1, 2);
    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

bool preimage_inside(const cv::Matx23d& m, cv::Size out_size, cv::Size src_size) {
  cv::Rect2d r = preimage_bounds(m, out_size);
  return r.x >= 0 && r.y >= 0 && r.x + r.width <= src_size.width - 1 && r.y + r.height <= src_size.height - 1;
}

// warpAffine with BORDER_REFLECT_101 takes a slow path for every pixel that samples outside the
// source (4x slower here). Instead: shrink first when the warp shrinks a lot, mirror-pad the
// source explicitly, then warp (the border mode then only matters where the pad was capped).
cv::Mat warp_with_mirrored_border(const cv::Mat& rgb, cv::Matx23d m, cv::Size out_size) {
  cv::Mat src = rgb;
  double scale = std::hypot(m(0, 0), m(1, 0));
  // Shrink by an integer factor with area averaging (OpenCV's fast path; a fractional factor
  // is 15x slower) so the remaining warp shrinks by at most 2 and does not alias.
  int k = scale < 0.75 ? int(std::floor(1.0 / scale)) : 1;
  if (k > 1) {
    cv::resize(rgb, src, cv::Size(), 1.0 / k, 1.0 / k, cv::INTER_AREA);
    double fx = double(rgb.cols) / src.cols, fy = double(rgb.rows) / src.rows;
    // Area-averaged pixel centres: x_src = (x_small + 0.5) * f - 0.5
    cv::Matx23d to_src(fx, 0, 0.5 * fx - 0.5, 0, fy, 0.5 * fy - 0.5);
    m = cv::Matx23d(m(0, 0) * fx, m(0, 1) * fy, m(0, 0) * to_src(0, 2) + m(0, 1) * to_src(1, 2) + m(0, 2),
                    m(1, 0) * fx, m(1, 1) * fy, m(1, 0) * to_src(0, 2) + m(1, 1) * to_src(1, 2) + m(1, 2));
  }
  cv::Rect2d need = preimage_bounds(m, out_size);
  // Mirroring beyond one image width repeats reflections; cap the pad at what it can mirror.
  auto pad = [](double v) { return std::max(0, int(std::ceil(v)) + 2); };
  int left = std::min(pad(-need.x), src.cols - 1), top = std::min(pad(-need.y), src.rows - 1);
  int right = std::min(pad(need.x + need.width - (src.cols - 1)), src.cols - 1);
  int bottom = std::min(pad(need.y + need.height - (src.rows - 1)), src.rows - 1);
  cv::Mat padded;
  if (left || top || right || bottom) cv::copyMakeBorder(src, padded, top, bottom, left, right, cv::BORDER_REFLECT_101);
  else padded = src;
  m(0, 2) -= m(0, 0) * left + m(0, 1) * top;
  m(1, 2) -= m(1, 0) * left + m(1, 1) * top;
  cv::Mat out;
  cv::warpAffine(padded, out, m, out_size, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  return out;
}

// sharp * a + blurred * (1 - a) with an 8-bit alpha; integer arithmetic, vectorised by the
// compiler (3x faster than cv::blendLinear's float weights).
cv::Mat blend_u8(const cv::Mat& sharp, const cv::Mat& blurred, const cv::Mat& alpha) {
  cv::Mat out(sharp.size(), CV_8UC3);
  for (int y = 0; y < sharp.rows; ++y) {
    const std::uint8_t* s = sharp.ptr<std::uint8_t>(y);
    const std::uint8_t* b = blurred.ptr<std::uint8_t>(y);
    const std::uint8_t* a = alpha.ptr<std::uint8_t>(y);
    std::uint8_t* o = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < sharp.cols * 3; ++x) {
      int w = a[x / 3];
      o[x] = std::uint8_t((s[x] * w + b[x] * (255 - w) + 127) / 255);
    }
  }
  return out;
}

cv::Mat face_hull_mask(const Landmarks& pts, cv::Size size) {
  std::vector<cv::Point> contour;
  for (int i = ibug::kJawFirst; i <= ibug::kJawLast; ++i) contour.emplace_back(pts[size_t(i)]);
  // Raise the brows by a third of the eye-to-chin span to include the forehead.
  cv::Point2f up = (mean_point(pts, 36, 47) - pts[8]) * 0.35f;
  for (int i = ibug::kLeftBrowLast; i >= ibug::kRightBrowFirst; --i) contour.emplace_back(pts[size_t(i)] + up);
  std::vector<cv::Point> hull;
  cv::convexHull(contour, hull);
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  cv::fillConvexPoly(mask, hull, cv::Scalar(255), cv::LINE_AA);
  return mask;
}

}  // namespace

AlignedFace align_face(const cv::Mat& rgb, const Landmarks& pts, const AlignOptions& o) {
  check_rgb8(rgb);
  check_landmarks(pts, rgb.size());
  AlignedFace out;
  out.matrix = alignment_matrix(pts, o);
  out.landmarks = transform_points(pts, out.matrix);
  cv::Size size(o.size, o.size);
  cv::Mat mirrored = warp_with_mirrored_border(rgb, out.matrix, size);
  if (!o.blur_background) {
    out.image = mirrored;
    return out;
  }
  if (preimage_inside(out.matrix, size, rgb.size())) {  // the crop lies in the photo: nothing to fill
    out.image = mirrored;
    return out;
  }
  // The blend mask is smooth, so it is built at a quarter of the resolution and upsampled.
  const int q = o.size >= 256 ? 4 : 1;
  cv::Size small(o.size / q, o.size / q);
  cv::Matx23d small_matrix = out.matrix * (1.0 / q);
  cv::Mat valid;
  cv::warpAffine(cv::Mat(rgb.size(), CV_8U, cv::Scalar(255)), valid, small_matrix, small, cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  // Pull the transition inside the real image so the blend never shows the mirror seam.
  int pull = std::max(1, int(std::lround(o.mask_sigma / q)));
  cv::erode(valid, valid, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * pull + 1, 2 * pull + 1)));
  cv::Mat keep = cv::max(valid, face_hull_mask(transform_points(pts, small_matrix), small));
  cv::GaussianBlur(keep, keep, cv::Size(), o.mask_sigma / q);
  cv::Mat alpha;
  cv::resize(keep, alpha, size, 0, 0, cv::INTER_LINEAR);
  cv::Mat blurred = wide_blur(mirrored, o.background_sigma);
  out.image = blend_u8(mirrored, blurred, alpha);
  return out;
}

}  // namespace facenorm
