#include <cmath>
#include <random>

#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"
#include "facenorm/pose.hpp"
#include "test_support.hpp"

using namespace facenorm;

namespace {

// K orthonormal rows of length D (Gram-Schmidt on seeded Gaussian vectors).
cv::Mat orthonormal_rows(int k, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  cv::Mat b(k, d, CV_32F);
  for (int r = 0; r < k; ++r) {
    for (int c = 0; c < d; ++c) b.at<float>(r, c) = g(rng);
    for (int q = 0; q < r; ++q) b.row(r) -= b.row(q).dot(b.row(r)) * b.row(q);
    b.row(r) /= cv::norm(b.row(r));
  }
  return b;
}

}  // namespace

TEST(RobustProjection, RecoversTheCoefficientsDespiteAGrossAnomaly) {
  const int k = 5, d = 90;
  cv::Mat basis = orthonormal_rows(k, d, 7), mean(1, d, CV_32F, cv::Scalar(0.5));
  cv::Mat truth = (cv::Mat_<float>(1, k) << 1.0f, -0.5f, 0.25f, 0.0f, 0.8f);
  cv::Mat x = mean + truth * basis;
  for (int i = 0; i < 9; ++i) x.at<float>(i) += 4.0f;  // three RGB pixels far off the model
  cv::Mat stddev(1, k, CV_32F, cv::Scalar(2.0)), sigma(1, d / 3, CV_32F, cv::Scalar(0.05));
  RobustProjectionOptions o;
  o.group = 3;
  o.tolerance = 1e-6;
  o.max_iterations = 200;
  RobustProjection r = robust_subspace_projection(x, mean, basis, stddev, sigma, o);
  for (int j = 0; j < k; ++j) EXPECT_NEAR(r.coefficients[size_t(j)], truth.at<float>(j), 1e-3);
  for (int p = 0; p < 3; ++p) EXPECT_EQ(r.weights[size_t(p)], 0.0f);
  for (int p = 3; p < d / 3; ++p) EXPECT_GT(r.weights[size_t(p)], 0.99f);
  ASSERT_EQ(r.reconstruction.size(), size_t(d));
  EXPECT_NEAR(r.reconstruction[0], 0.5f + cv::Mat(truth * basis).at<float>(0), 1e-3);
}

TEST(RobustProjection, BoundsCoefficientsAndRejectsBadInput) {
  cv::Mat basis = orthonormal_rows(2, 6, 1), mean(1, 6, CV_32F, cv::Scalar(0));
  cv::Mat x = 50.0f * basis.row(0), stddev(1, 2, CV_32F, cv::Scalar(1)), sigma(1, 6, CV_32F, cv::Scalar(100));
  RobustProjection r = robust_subspace_projection(x, mean, basis, stddev, sigma);
  EXPECT_NEAR(r.coefficients[0], 3.0f, 1e-5);  // clamped to 3 standard deviations
  cv::Mat short_sigma(1, 5, CV_32F, cv::Scalar(1));
  EXPECT_THROW(robust_subspace_projection(x, mean, basis, stddev, short_sigma), InputError);
  cv::Mat zero_sigma(1, 6, CV_32F, cv::Scalar(0));
  EXPECT_THROW(robust_subspace_projection(x, mean, basis, stddev, zero_sigma), InputError);
  cv::Mat nan = x.clone();
  nan.at<float>(2) = std::nanf("");
  EXPECT_THROW(robust_subspace_projection(nan, mean, basis, stddev, sigma), InputError);
  RobustProjectionOptions bad;
  bad.group = 4;  // 6 values do not split into groups of 4
  EXPECT_THROW(robust_subspace_projection(x, mean, basis, stddev, sigma, bad), InputError);
}

TEST(FaceChip, IsTheRequestedSizeAndCentredOnTheFace) {
  cv::Mat image(400, 400, CV_8UC3, cv::Scalar(20, 20, 20));
  Landmarks pts;
  for (const auto& p : generic_face_model_3d()) pts.emplace_back(200.0f + 1.5f * p.x, 200.0f + 1.5f * p.y);
  cv::circle(image, cv::Point(200, 200), 60, cv::Scalar(200, 100, 50), cv::FILLED);  // the face's centre
  cv::Mat chip = face_chip(image, pts, 150, 0.25);
  ASSERT_EQ(chip.size(), cv::Size(150, 150));
  ASSERT_EQ(chip.type(), CV_8UC3);
  cv::Vec3b centre = chip.at<cv::Vec3b>(75, 75);
  EXPECT_EQ(centre, cv::Vec3b(200, 100, 50));  // RGB order kept
  EXPECT_THROW(face_chip(image, Landmarks(5), 150, 0.25), InputError);
  EXPECT_THROW(face_chip(cv::Mat(), pts, 150, 0.25), InputError);
}
