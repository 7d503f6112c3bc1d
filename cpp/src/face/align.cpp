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
  cv::Mat mirrored;
  cv::warpAffine(rgb, mirrored, out.matrix, size, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  if (!o.blur_background) {
    out.image = mirrored;
    return out;
  }
  // Which output pixels come from inside the original image.
  cv::Matx23d inv;
  cv::invertAffineTransform(out.matrix, inv);
  bool inside = true;
  for (cv::Point2d c : {cv::Point2d(0, 0), cv::Point2d(o.size - 1, 0), cv::Point2d(0, o.size - 1),
                        cv::Point2d(o.size - 1, o.size - 1)}) {
    double x = inv(0, 0) * c.x + inv(0, 1) * c.y + inv(0, 2), y = inv(1, 0) * c.x + inv(1, 1) * c.y + inv(1, 2);
    inside = inside && x >= 0 && y >= 0 && x <= rgb.cols - 1 && y <= rgb.rows - 1;
  }
  if (inside) {  // the crop lies in the photo: nothing to fill
    out.image = mirrored;
    return out;
  }
  cv::Mat valid;
  cv::warpAffine(cv::Mat(rgb.size(), CV_8U, cv::Scalar(255)), valid, out.matrix, size, cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat keep = cv::max(valid, face_hull_mask(out.landmarks, size));
  // Pull the transition inside the real image so the blend never shows the mirror seam.
  int pull = std::max(1, int(std::lround(o.mask_sigma)));
  cv::erode(keep, keep, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * pull + 1, 2 * pull + 1)));
  keep = cv::max(keep, face_hull_mask(out.landmarks, size));
  cv::Mat alpha;
  keep.convertTo(alpha, CV_32F, 1.0 / 255.0);
  cv::GaussianBlur(alpha, alpha, cv::Size(), o.mask_sigma);
  cv::Mat blurred = wide_blur(mirrored, o.background_sigma);
  cv::Mat sharp_f, blurred_f;
  mirrored.convertTo(sharp_f, CV_32FC3);
  blurred.convertTo(blurred_f, CV_32FC3);
  cv::Mat alpha3;
  cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
  cv::Mat blended = sharp_f.mul(alpha3) + blurred_f.mul(cv::Scalar::all(1.0) - alpha3);
  blended.convertTo(out.image, CV_8UC3);
  return out;
}

}  // namespace facenorm
