#include <cmath>
#include <random>

#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"
#include "facenorm/normalizer.hpp"
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

namespace {

// A one-component shape model around the generic face: the component opens the mouth, so an
// upper-lip point moved on its own is something the model cannot explain.
ShapeModel toy_shape_model() {
  ShapeModel m;
  for (const auto& p : generic_face_model_3d()) m.mean_shape.emplace_back(64.0f + 0.5f * p.x, 64.0f + 0.5f * p.y);
  m.basis = cv::Mat::zeros(1, 136, CV_32F);
  for (int i = 56; i <= 58; ++i) m.basis.at<float>(2 * i + 1) = 1.0f;  // lower lip down
  m.basis /= cv::norm(m.basis);
  m.stddev = cv::Mat(1, 1, CV_32F, cv::Scalar(2.0));
  m.sigma = cv::Mat(1, 68, CV_32F, cv::Scalar(0.3));
  return m;
}

}  // namespace

TEST(ShapeFit, WeightedSimilarityRecoversATransform) {
  Landmarks src = toy_shape_model().mean_shape, dst;
  const double s = 1.7, c = std::cos(0.3), n = std::sin(0.3);
  for (const auto& p : src) dst.emplace_back(float(s * (c * p.x - n * p.y) + 10), float(s * (n * p.x + c * p.y) - 4));
  std::vector<float> w(src.size(), 1.f);
  dst[10] += cv::Point2f(50, 50);  // an outlier with zero weight does not count
  w[10] = 0.f;
  cv::Matx23d a = weighted_similarity(src, dst, w);
  EXPECT_NEAR(a(0, 0), s * c, 1e-4);
  EXPECT_NEAR(a(1, 0), s * n, 1e-4);
  EXPECT_NEAR(a(0, 2), 10.0, 1e-3);
  EXPECT_NEAR(a(1, 2), -4.0, 1e-3);
  EXPECT_THROW(weighted_similarity(src, dst, std::vector<float>(3, 1.f)), InputError);
}

TEST(ShapeFit, MovesOnlyTheAnomalousPointBackAndLeavesANormalFaceAlone) {
  ShapeModel model = toy_shape_model();
  Landmarks face;  // the mean face, twice as big and shifted: the fit must see through the similarity
  for (const auto& p : model.mean_shape) face.push_back(p * 2.0f + cv::Point2f(30, 20));
  ShapeFit normal = fit_shape_robust(model, face);
  for (size_t i = 0; i < face.size(); ++i) EXPECT_EQ(normal.target[i], face[i]);  // nothing beyond 2 sigma
  Landmarks cleft = face;
  cleft[50].y -= 8.0f;  // a raised Cupid's-bow peak
  ShapeFit fit = fit_shape_robust(model, cleft);
  EXPECT_LT(fit.weights[50], 0.1f);
  EXPECT_GT(fit.weights[30], 0.9f);
  EXPECT_NEAR(fit.target[50].y, face[50].y, 0.5);  // back where a normal face has it
  for (size_t i = 0; i < face.size(); ++i)
    if (i != 50) EXPECT_NEAR(cv::norm(fit.target[i] - cleft[i]), 0.0, 1e-3) << i;
  ShapeFitOptions eyes_only;
  eyes_only.movable = {36, 37};
  EXPECT_EQ(fit_shape_robust(model, cleft, eyes_only).target[50], cleft[50]);
  eyes_only.movable = {99};
  EXPECT_THROW(fit_shape_robust(model, cleft, eyes_only), InputError);
}

TEST(ShapeNormalizer, WarpsTheLipBackAndReportsRefusals) {
  ShapeModel model = toy_shape_model();
  Landmarks face;
  for (const auto& p : model.mean_shape) face.push_back(p * 2.0f + cv::Point2f(30, 20));
  Landmarks cleft = face;
  cleft[50].y -= 8.0f;
  cv::Mat image(300, 300, CV_8UC3);
  cv::randu(image, 0, 255);
  ShapeNormalizer normalizer(model);
  EXPECT_EQ(normalizer.name(), "statistical:texture=off");
  NormalizationResult r = normalizer.normalize(image, cleft);
  EXPECT_EQ(r.fraction_applied, 1.0);
  EXPECT_NEAR(r.landmarks[50].y, face[50].y, 0.5);
  EXPECT_GT(cv::norm(r.image, image, cv::NORM_L1), 0.0);
  NormalizationResult same = normalizer.normalize(image, face);
  EXPECT_EQ(cv::norm(same.image, image, cv::NORM_INF), 0.0);  // a normal face comes back bit for bit
  EXPECT_THROW(normalizer.normalize(cv::Mat(300, 300, CV_32FC3), cleft), InputError);
  Landmarks off_image = cleft;  // the face pushed past the border: the warp is refused, and said so
  for (auto& p : off_image) p.x += 120.0f;
  EXPECT_EQ(normalizer.normalize(image, off_image).fraction_applied, 0.0);
  ShapeModel broken = model;
  broken.sigma = cv::Mat(1, 5, CV_32F, cv::Scalar(1));
  EXPECT_THROW(ShapeNormalizer{broken}, InputError);
}
