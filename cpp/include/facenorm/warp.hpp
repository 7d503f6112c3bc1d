// Piecewise-affine warping over a Delaunay triangulation of landmarks plus border anchors.
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

namespace facenorm {

using Triangle = std::array<int, 3>;  // indices into a point list

// Delaunay triangulation of `points` plus the 8 border anchors of `size` (corners and edge
// midpoints, appended after the points in that order). Returns the triangles; `with_anchors`
// receives points + anchors. Throws InputError for NaN, duplicate or out-of-image points.
std::vector<Triangle> delaunay_with_anchors(const std::vector<cv::Point2f>& points, cv::Size size,
                                            std::vector<cv::Point2f>* with_anchors);

// Warps `image` (uint8 or float32, any channel count) so that content at src_points moves to
// dst_points. Only triangles with a moved vertex are resampled (bilinear, inverse mapping);
// every pixel outside them is bit-identical to the input. Throws InputError when a moved
// triangle would be degenerate (area under 1e-3 px^2) or flipped in dst (folding the image):
// never returns garbage. `moved_mask` (optional) receives CV_8U 255 where pixels were resampled.
cv::Mat piecewise_affine_warp(const cv::Mat& image, const std::vector<cv::Point2f>& src_points,
                              const std::vector<cv::Point2f>& dst_points, cv::Mat* moved_mask = nullptr);

}  // namespace facenorm
