#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/warp.hpp"
#include "test_support.hpp"

using namespace facenorm;

namespace {

std::vector<cv::Point2f> grid_points() {
  std::vector<cv::Point2f> pts;
  for (int y = 20; y <= 80; y += 20)
    for (int x = 20; x <= 80; x += 20) pts.emplace_back(float(x) + 0.3f * float(y % 7), float(y));
  return pts;
}

cv::Mat noise_image(int type) {
  cv::Mat img(101, 101, type);
  cv::Mat flat = img.reshape(1);  // randu takes one range per channel only up to 4 channels
  cv::randu(flat, 0, 255);
  return img;
}

}  // namespace

TEST(PiecewiseAffineWarp, IdentityIsBitExact) {
  cv::Mat img = noise_image(CV_8UC3);
  auto pts = grid_points();
  cv::Mat mask;
  cv::Mat out = piecewise_affine_warp(img, pts, pts, &mask);
  EXPECT_EQ(cv::norm(out, img, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::countNonZero(mask), 0);
}

TEST(PiecewiseAffineWarp, OnlyMovedTrianglesChange) {
  for (int type : {CV_8UC1, CV_8UC3, CV_32FC(5)}) {
    cv::Mat img = noise_image(type);
    auto src = grid_points(), dst = src;
    dst[5].y -= 4.0f;  // one interior point moves
    cv::Mat mask;
    cv::Mat out = piecewise_affine_warp(img, src, dst, &mask);
    ASSERT_EQ(out.type(), img.type());
    cv::Mat unchanged = mask == 0;
    cv::Mat diff;
    cv::absdiff(out, img, diff);
    diff = diff.reshape(1, diff.rows * diff.cols);
    cv::Mat keep = unchanged.reshape(1, unchanged.rows * unchanged.cols);
    double worst = 0;
    cv::minMaxLoc(diff.col(0), nullptr, &worst, nullptr, nullptr, keep);
    EXPECT_EQ(worst, 0.0) << "type " << type;
    EXPECT_GT(cv::countNonZero(mask), 50);
    EXPECT_LT(cv::countNonZero(mask), 101 * 101 / 4);
  }
}

TEST(PiecewiseAffineWarp, FlippedAndDegenerateTrianglesThrow) {
  cv::Mat img = noise_image(CV_8UC3);
  auto src = grid_points(), dst = src;
  dst[5] = src[9] + cv::Point2f(0, 8);  // dragged past its neighbours: folds the mesh
  EXPECT_THROW(piecewise_affine_warp(img, src, dst), InputError);
  dst = src;
  dst[5] = src[4];
  EXPECT_THROW(piecewise_affine_warp(img, src, dst), InputError);
}

TEST(PiecewiseAffineWarp, BadPointsThrow) {
  cv::Mat img = noise_image(CV_8UC3);
  auto src = grid_points(), dst = src;
  dst[0].x = std::nanf("");
  EXPECT_THROW(piecewise_affine_warp(img, src, dst), InputError);
  dst = src;
  dst[0].x = 500;
  EXPECT_THROW(piecewise_affine_warp(img, src, dst), InputError);
  dst.pop_back();
  EXPECT_THROW(piecewise_affine_warp(img, src, dst), InputError);
  EXPECT_THROW(piecewise_affine_warp(cv::Mat(10, 10, CV_16UC1), src, src), InputTypeError);
}
