#include <cmath>
#include <string>

#include "facenorm/errors.hpp"
#include "facenorm/lipsynth.hpp"

namespace facenorm {
namespace {

// Unit vector along the mouth corner line, its perpendicular (pointing down in the image),
// the corners' midpoint and the mouth width.
struct MouthFrame {
  cv::Point2d u, v, mid;
  double width;
};

MouthFrame mouth_frame(const Landmarks& p, const char* what) {
  cv::Point2d a = p[ibug::kMouthLeftCorner], b = p[ibug::kMouthRightCorner];
  double w = std::hypot(b.x - a.x, b.y - a.y);
  if (!(w > 1e-3)) throw InputError(std::string(what) + ": mouth corners 48 and 54 coincide; expected a mouth of positive width");
  cv::Point2d u = (b - a) * (1.0 / w);
  return {u, cv::Point2d(-u.y, u.x), (a + b) * 0.5, w};
}

}  // namespace

Landmarks lip_transform_v2_landmarks(const Landmarks& control, const Landmarks& lip_template, double severity) {
  check_landmarks(control, cv::Size(0, 0), "control landmarks");
  check_landmarks(lip_template, cv::Size(0, 0), "lip template");
  if (!(severity >= 0.0 && severity <= 1.0))
    throw InputError("severity: expected a value in [0, 1], got " + std::to_string(severity));
  MouthFrame c = mouth_frame(control, "control landmarks"), t = mouth_frame(lip_template, "lip template");
  cv::Point2d t51 = lip_template[51], c51 = control[51];
  Landmarks out = control;
  for (int i = 49; i <= 53; ++i) {
    cv::Point2d q = lip_template[size_t(i)] - cv::Point2f(t51);
    double along = q.dot(t.u) / t.width;  // offsets from the bow midpoint, in mouth widths
    double down = q.dot(t.v) / t.width;
    cv::Point2d target = c51 + (c.u * along + c.v * down) * c.width;
    cv::Point2d from = control[size_t(i)];
    out[size_t(i)] = cv::Point2f(from + (target - from) * severity);
  }
  return out;
}

}  // namespace facenorm
