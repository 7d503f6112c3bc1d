#include <cmath>
#include <map>
#include <string>

#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/warp.hpp"

namespace facenorm {
namespace {

void check_point(const cv::Point2f& p, size_t i, cv::Size size) {
  if (!std::isfinite(p.x) || !std::isfinite(p.y))
    throw InputError("warp points: point " + std::to_string(i) + " is not finite (NaN or inf)");
  if (p.x < 0 || p.y < 0 || p.x > size.width - 1 || p.y > size.height - 1)
    throw InputError("warp points: point " + std::to_string(i) + " (" + std::to_string(p.x) + ", " + std::to_string(p.y) +
                     ") lies outside the " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                     " image; expected 0 <= x <= width-1 and 0 <= y <= height-1");
}

}  // namespace

std::vector<Triangle> delaunay_with_anchors(const std::vector<cv::Point2f>& points, cv::Size size,
                                            std::vector<cv::Point2f>* with_anchors) {
  if (size.width < 2 || size.height < 2) throw InputError("warp: expected an image at least 2x2");
  if (points.size() < 3) throw InputError("warp points: expected at least 3 points");
  std::vector<cv::Point2f> all = points;
  float w = float(size.width - 1), h = float(size.height - 1);
  for (cv::Point2f a : {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h),
                        cv::Point2f(w / 2, 0), cv::Point2f(w, h / 2), cv::Point2f(w / 2, h), cv::Point2f(0, h / 2)})
    all.push_back(a);
  std::map<std::pair<float, float>, int> index;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < points.size()) check_point(all[i], i, size);
    auto key = std::make_pair(all[i].x, all[i].y);
    if (index.count(key)) {
      if (i >= points.size()) continue;  // a landmark exactly on an anchor: the anchor is redundant
      throw InputError("warp points: points " + std::to_string(index[key]) + " and " + std::to_string(i) +
                       " coincide; expected distinct points");
    }
    index[key] = int(i);
  }
  // Subdiv2D needs a rectangle strictly containing every point.
  cv::Subdiv2D subdiv(cv::Rect(-1, -1, size.width + 2, size.height + 2));
  for (const auto& [key, i] : index) subdiv.insert(cv::Point2f(key.first, key.second));
  std::vector<cv::Vec6f> raw;
  subdiv.getTriangleList(raw);
  std::vector<Triangle> triangles;
  for (const auto& t : raw) {
    Triangle tri;
    bool inside = true;
    for (int k = 0; k < 3 && inside; ++k) {
      auto it = index.find(std::make_pair(t[2 * k], t[2 * k + 1]));
      if (it == index.end()) inside = false;  // a vertex of Subdiv2D's outer bounding triangle
      else tri[size_t(k)] = it->second;
    }
    if (inside) triangles.push_back(tri);
  }
  if (with_anchors) *with_anchors = std::move(all);
  return triangles;
}

}  // namespace facenorm
