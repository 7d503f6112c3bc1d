#include <cmath>
#include <string>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/warp.hpp"

namespace facenorm {
namespace {

constexpr double kMinArea = 1e-3;  // px^2: below this a triangle has no usable affine map

double signed_area(const cv::Point2f& a, const cv::Point2f& b, const cv::Point2f& c) {
  return 0.5 * ((double(b.x) - a.x) * (double(c.y) - a.y) - (double(c.x) - a.x) * (double(b.y) - a.y));
}

struct MovedTriangle {
  cv::Point2d v[3];        // dst vertices
  cv::Matx23d dst_to_src;  // inverse mapping used for sampling
  int x0, x1, y0, y1;      // dst bounding box, clipped to the image
  double orientation;      // +1 or -1: sign of the dst area
};

template <typename T>
void sample_bilinear(const cv::Mat& src, double sx, double sy, T* out) {
  const int cn = src.channels();
  sx = std::clamp(sx, 0.0, double(src.cols - 1));
  sy = std::clamp(sy, 0.0, double(src.rows - 1));
  int x0 = int(sx), y0 = int(sy);
  int x1 = std::min(x0 + 1, src.cols - 1), y1 = std::min(y0 + 1, src.rows - 1);
  double fx = sx - x0, fy = sy - y0;
  const T* p00 = src.ptr<T>(y0) + x0 * cn;
  const T* p01 = src.ptr<T>(y0) + x1 * cn;
  const T* p10 = src.ptr<T>(y1) + x0 * cn;
  const T* p11 = src.ptr<T>(y1) + x1 * cn;
  for (int c = 0; c < cn; ++c) {
    double top = p00[c] + (double(p01[c]) - p00[c]) * fx;
    double bottom = p10[c] + (double(p11[c]) - p10[c]) * fx;
    double v = top + (bottom - top) * fy;
    if constexpr (std::is_same_v<T, std::uint8_t>) out[c] = cv::saturate_cast<std::uint8_t>(v);
    else out[c] = T(v);
  }
}

template <typename T>
void warp_rows(const cv::Mat& src, cv::Mat& out, cv::Mat* mask, const std::vector<MovedTriangle>& tris,
               const cv::Range& rows) {
  const int cn = src.channels();
  for (int y = rows.start; y < rows.end; ++y) {
    T* row = out.ptr<T>(y);
    std::uint8_t* mrow = mask ? mask->ptr<std::uint8_t>(y) : nullptr;
    for (const auto& t : tris) {
      if (y < t.y0 || y > t.y1) continue;
      for (int x = t.x0; x <= t.x1; ++x) {
        // Inside (or on an edge of) the dst triangle: all three edge functions agree in sign.
        bool inside = true;
        for (int k = 0; k < 3 && inside; ++k) {
          const cv::Point2d& a = t.v[k];
          const cv::Point2d& b = t.v[(k + 1) % 3];
          double e = ((b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x)) * t.orientation;
          inside = e >= -1e-9;
        }
        if (!inside) continue;
        const auto& m = t.dst_to_src;
        sample_bilinear<T>(src, m(0, 0) * x + m(0, 1) * y + m(0, 2), m(1, 0) * x + m(1, 1) * y + m(1, 2),
                           row + x * cn);
        if (mrow) mrow[x] = 255;
      }
    }
  }
}

}  // namespace

cv::Mat piecewise_affine_warp(const cv::Mat& image, const std::vector<cv::Point2f>& src_points,
                              const std::vector<cv::Point2f>& dst_points, cv::Mat* moved_mask) {
  if (image.empty()) throw InputError("warp: image is empty");
  if (image.depth() != CV_8U && image.depth() != CV_32F)
    throw InputTypeError("warp: expected a uint8 or float32 image");
  if (src_points.size() != dst_points.size())
    throw InputError("warp: expected as many dst points as src points, got " + std::to_string(dst_points.size()) +
                     " and " + std::to_string(src_points.size()));
  std::vector<cv::Point2f> src_all;
  auto triangles = delaunay_with_anchors(src_points, image.size(), &src_all);
  // dst must be valid too; the anchors never move.
  std::vector<cv::Point2f> dst_all = dst_points;
  dst_all.insert(dst_all.end(), src_all.begin() + long(src_points.size()), src_all.end());
  for (size_t i = 0; i < dst_points.size(); ++i) {
    const auto& p = dst_points[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || p.x < 0 || p.y < 0 || p.x > image.cols - 1 || p.y > image.rows - 1)
      throw InputError("warp dst points: point " + std::to_string(i) + " is not finite or lies outside the image");
  }
  const int n = int(src_points.size());
  std::vector<MovedTriangle> moved;
  for (const auto& tri : triangles) {
    bool moves = false;
    for (int k : tri) moves = moves || (k < n && src_all[size_t(k)] != dst_all[size_t(k)]);
    if (!moves) continue;
    const cv::Point2f s[3] = {src_all[size_t(tri[0])], src_all[size_t(tri[1])], src_all[size_t(tri[2])]};
    const cv::Point2f d[3] = {dst_all[size_t(tri[0])], dst_all[size_t(tri[1])], dst_all[size_t(tri[2])]};
    double as = signed_area(s[0], s[1], s[2]), ad = signed_area(d[0], d[1], d[2]);
    std::string which = "triangle (" + std::to_string(tri[0]) + ", " + std::to_string(tri[1]) + ", " +
                        std::to_string(tri[2]) + ")";
    if (std::abs(ad) < kMinArea || std::abs(as) < kMinArea)
      throw InputError("warp: " + which + " collapses to a line or a point in dst; move the points less far");
    if ((as > 0) != (ad > 0))
      throw InputError("warp: " + which + " is flipped in dst (the warp would fold the image over itself); "
                       "move the points less far or keep their order");
    MovedTriangle t;
    for (int k = 0; k < 3; ++k) t.v[k] = d[k];
    t.dst_to_src = cv::Matx23d(cv::getAffineTransform(d, s));
    t.orientation = ad > 0 ? 1.0 : -1.0;
    t.x0 = std::max(0, int(std::floor(std::min({d[0].x, d[1].x, d[2].x}))));
    t.x1 = std::min(image.cols - 1, int(std::ceil(std::max({d[0].x, d[1].x, d[2].x}))));
    t.y0 = std::max(0, int(std::floor(std::min({d[0].y, d[1].y, d[2].y}))));
    t.y1 = std::min(image.rows - 1, int(std::ceil(std::max({d[0].y, d[1].y, d[2].y}))));
    moved.push_back(t);
  }
  cv::Mat out = image.clone();
  if (moved_mask) *moved_mask = cv::Mat::zeros(image.size(), CV_8U);
  if (moved.empty()) return out;
  int y0 = image.rows, y1 = 0;
  for (const auto& t : moved) y0 = std::min(y0, t.y0), y1 = std::max(y1, t.y1);
  // Rows are independent: each thread writes its own rows, so no two threads touch one pixel.
  cv::parallel_for_(cv::Range(y0, y1 + 1), [&](const cv::Range& rows) {
    if (image.depth() == CV_8U) warp_rows<std::uint8_t>(image, out, moved_mask, moved, rows);
    else warp_rows<float>(image, out, moved_mask, moved, rows);
  });
  return out;
}

}  // namespace facenorm
