// PLOS ONE 2023 eqs. 3-6: hand-computed tiny cases, erosion against cv::erode, the fused pass
// against the separate calls, and the error cases.
#include <cmath>
#include <limits>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "../../cpp/src/score/score_internal.hpp"  // set_simd_enabled
#include "facenorm/score.hpp"
#include "test_support.hpp"

using namespace facenorm;

namespace {

const double kCap = -std::log(1e-9);  // 20.7232658369...

cv::Mat random_rgb(int rows, int cols, int seed) {
  cv::Mat img(rows, cols, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  return img;
}

// One pixel (1, 1) of a 3 x 3 black image set to pure red.
std::pair<cv::Mat, cv::Mat> one_red_pixel() {
  cv::Mat a = cv::Mat::zeros(3, 3, CV_8UC3), b = a.clone();
  b.at<cv::Vec3b>(1, 1) = cv::Vec3b(255, 0, 0);
  return {a, b};
}

bool same_score(const HeatmapScore& a, const HeatmapScore& b) {
  return a.score == b.score && a.frobenius == b.frobenius && a.pixels == b.pixels && a.capped == b.capped;
}

}  // namespace

TEST(ScoreColour, Bt601KnownColours) {
  cv::Mat img(1, 4, CV_8UC3);
  img.at<cv::Vec3b>(0, 0) = {0, 0, 0};
  img.at<cv::Vec3b>(0, 1) = {255, 255, 255};
  img.at<cv::Vec3b>(0, 2) = {255, 0, 0};
  img.at<cv::Vec3b>(0, 3) = {0, 0, 255};
  cv::Mat y = rgb_to_ycbcr(img);
  ASSERT_EQ(y.type(), CV_32FC3);
  const cv::Vec3f expected[4] = {{16, 128, 128}, {235, 128, 128}, {81.481f, 90.203f, 240.0f}, {40.966f, 240.0f, 109.786f}};
  for (int x = 0; x < 4; ++x)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(y.at<cv::Vec3f>(0, x)[c], expected[x][c], 1e-4) << x << "," << c;
}

TEST(ScoreColour, ParseColourSpace) {
  EXPECT_EQ(parse_colour_space("rgb"), ColourSpace::RGB);
  EXPECT_EQ(parse_colour_space("ycbcr"), ColourSpace::YCbCr);
  EXPECT_EQ(to_string(ColourSpace::YCbCr), "ycbcr");
  EXPECT_THROW(parse_colour_space("hsv"), InputError);
  EXPECT_THROW(parse_colour_space("YCbCr"), InputError);
}

TEST(ScorePse, OnePixelDifferingRgbAndYCbCr) {
  auto [a, b] = one_red_pixel();
  cv::Mat h = pse_heatmap(a, b, {ColourSpace::RGB, 0});
  ASSERT_EQ(h.type(), CV_32FC3);
  EXPECT_EQ(h.at<cv::Vec3f>(1, 1), cv::Vec3f(65025, 0, 0));
  EXPECT_EQ(cv::sum(h)[0], 65025.0);
  HeatmapScore s = heatmap_score(h);
  EXPECT_DOUBLE_EQ(s.frobenius, 255.0);  // sqrt(65025): the squared error is summed, not squared again
  EXPECT_DOUBLE_EQ(s.pixels, 9.0);       // pixels, not pixels x channels
  EXPECT_NEAR(s.score, -std::log(255.0 / 9.0), 1e-12);
  EXPECT_FALSE(s.capped);

  h = pse_heatmap(a, b, {ColourSpace::YCbCr, 0});
  cv::Vec3f p = h.at<cv::Vec3f>(1, 1);
  EXPECT_NEAR(p[0], 65.481 * 65.481, 2e-3);   // 4287.76
  EXPECT_NEAR(p[1], 37.797 * 37.797, 1e-3);   // 1428.61
  EXPECT_NEAR(p[2], 112.0 * 112.0, 2e-3);     // 12544
  EXPECT_EQ(cv::countNonZero(h.reshape(1)), 3);
  s = heatmap_score(h);
  double total = 65.481 * 65.481 + 37.797 * 37.797 + 112.0 * 112.0;
  EXPECT_NEAR(s.frobenius, std::sqrt(total), 1e-5);
  EXPECT_NEAR(s.score, -std::log(std::sqrt(total) / 9.0), 1e-7);
}

TEST(ScorePse, ErosionRemovesASingleHotPixel) {
  auto [a, b] = one_red_pixel();
  for (auto colour : {ColourSpace::RGB, ColourSpace::YCbCr}) {
    cv::Mat h = pse_heatmap(a, b, {colour, 3});
    EXPECT_EQ(cv::countNonZero(h.reshape(1)), 0);
    HeatmapScore s = heatmap_score(h);
    EXPECT_TRUE(s.capped);
    EXPECT_DOUBLE_EQ(s.score, kCap);
  }
  // A 3 x 3 block of difference keeps its centre through a 3 x 3 erosion, nothing else.
  cv::Mat c = cv::Mat::zeros(7, 7, CV_8UC3), d = c.clone();
  d(cv::Rect(2, 2, 3, 3)).setTo(cv::Scalar(10, 20, 30));
  cv::Mat h = pse_heatmap(c, d, {ColourSpace::RGB, 3});
  EXPECT_EQ(cv::countNonZero(h.reshape(1)), 3);
  EXPECT_EQ(h.at<cv::Vec3f>(3, 3), cv::Vec3f(100, 400, 900));
}

TEST(ScorePse, IdenticalImagesGiveZeroAndTheCappedScore) {
  cv::Mat a = random_rgb(37, 53, 1);
  for (auto colour : {ColourSpace::RGB, ColourSpace::YCbCr})
    for (int k : {0, 3, 5}) {
      cv::Mat h = pse_heatmap(a, a, {colour, k});
      EXPECT_EQ(cv::countNonZero(h.reshape(1)), 0);
      HeatmapScore s = heatmap_score(h);
      EXPECT_TRUE(s.capped);
      EXPECT_EQ(s.frobenius, 0.0);
      EXPECT_NEAR(s.score, 20.7233, 1e-4);
      EXPECT_DOUBLE_EQ(s.score, -std::log(kScoreFloor));
      EXPECT_FALSE(std::isnan(s.score));
    }
}

TEST(ScorePse, OnePixelImage) {
  cv::Mat a(1, 1, CV_8UC3, cv::Scalar(10, 20, 30)), b(1, 1, CV_8UC3, cv::Scalar(13, 16, 30));
  for (int k : {0, 3, 5}) {
    cv::Mat h = pse_heatmap(a, b, {ColourSpace::RGB, k});
    EXPECT_EQ(h.at<cv::Vec3f>(0, 0), cv::Vec3f(9, 16, 0)) << k;  // erosion of one pixel = itself
  }
}

TEST(ScoreErosion, RampWithReplicatedBorders) {
  // H(y, x) = 100 - (10 y + x) decreases to the bottom right, so the minimum of the window is
  // its bottom-right pixel, clamped to the image (replicated border).
  cv::Mat h(5, 6, CV_32FC1);
  for (int y = 0; y < h.rows; ++y)
    for (int x = 0; x < h.cols; ++x) h.at<float>(y, x) = float(100 - (10 * y + x));
  for (int k : {3, 5}) {
    int r = k / 2;
    cv::Mat e = erode_heatmap(h, k);
    ASSERT_EQ(e.type(), CV_32FC1);
    for (int y = 0; y < h.rows; ++y)
      for (int x = 0; x < h.cols; ++x)
        EXPECT_EQ(e.at<float>(y, x), float(100 - (10 * std::min(y + r, h.rows - 1) + std::min(x + r, h.cols - 1))))
            << "k " << k << " at " << y << "," << x;
  }
  // Increasing ramp, three channels with different ramps: the top-left pixel of the window.
  cv::Mat h3(4, 9, CV_32FC3);
  for (int y = 0; y < h3.rows; ++y)
    for (int x = 0; x < h3.cols; ++x) h3.at<cv::Vec3f>(y, x) = cv::Vec3f(float(10 * y + x), float(x), float(y));
  cv::Mat e3 = erode_heatmap(h3, 3);
  for (int y = 0; y < h3.rows; ++y)
    for (int x = 0; x < h3.cols; ++x) {
      int yy = std::max(y - 1, 0), xx = std::max(x - 1, 0);
      EXPECT_EQ(e3.at<cv::Vec3f>(y, x), cv::Vec3f(float(10 * yy + xx), float(xx), float(yy)));
    }
}

TEST(ScoreErosion, MatchesOpenCvErodeWithReplicatedBorder) {
  cv::RNG rng(7);
  for (int cn : {1, 2, 3, 4})
    for (cv::Size size : {cv::Size(1, 1), cv::Size(2, 7), cv::Size(17, 5), cv::Size(64, 33), cv::Size(131, 70)})
      for (int k : {3, 5, 7}) {
        cv::Mat h(size, CV_32FC(cn));
        rng.fill(h, cv::RNG::UNIFORM, 0.0, 1000.0);
        cv::Mat ref;
        cv::erode(h, ref, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(k, k)), cv::Point(-1, -1), 1,
                  cv::BORDER_REPLICATE);
        cv::Mat e = erode_heatmap(h, k);
        EXPECT_EQ(cv::norm(e, ref, cv::NORM_INF), 0.0) << cn << " channels, " << size << ", k " << k;
      }
}

TEST(ScoreErosion, SizeZeroOrOneIsACopyAndBadSizesThrow) {
  cv::Mat h(4, 4, CV_32FC3, cv::Scalar(1, 2, 3));
  for (int k : {0, 1}) {
    cv::Mat e = erode_heatmap(h, k);
    EXPECT_EQ(cv::norm(e, h, cv::NORM_INF), 0.0);
    EXPECT_NE(e.data, h.data);
  }
  for (int k : {-1, 2, 4, 10}) EXPECT_THROW(erode_heatmap(h, k), InputError) << k;
  EXPECT_THROW(erode_heatmap(cv::Mat(4, 4, CV_8UC3), 3), InputTypeError);
  EXPECT_THROW(erode_heatmap(cv::Mat(4, 4, CV_32FC(5)), 3), InputTypeError);
  EXPECT_THROW(erode_heatmap(cv::Mat(), 3), InputError);
}

TEST(ScoreHeatmapScore, SoftMaskWeightsPixels) {
  cv::Mat h = (cv::Mat_<float>(1, 3) << 4.f, 16.f, 100.f);
  cv::Mat m = (cv::Mat_<float>(1, 3) << 0.5f, 1.f, 0.f);
  HeatmapScore s = heatmap_score(h, m);
  EXPECT_DOUBLE_EQ(s.pixels, 1.5);
  EXPECT_DOUBLE_EQ(s.frobenius, std::sqrt(0.5 * 4 + 16));
  EXPECT_NEAR(s.score, -std::log(std::sqrt(18.0) / 1.5), 1e-12);
  // Multi-channel: channels are summed per pixel, N still counts pixels.
  cv::Mat h3(1, 2, CV_32FC3);
  h3.at<cv::Vec3f>(0, 0) = {1, 2, 3};
  h3.at<cv::Vec3f>(0, 1) = {10, 20, 30};
  cv::Mat m2 = (cv::Mat_<float>(1, 2) << 1.f, 0.25f);
  s = heatmap_score(h3, m2);
  EXPECT_DOUBLE_EQ(s.pixels, 1.25);
  EXPECT_DOUBLE_EQ(s.frobenius, std::sqrt(6 + 0.25 * 60));
  // No mask = every pixel with weight 1.
  s = heatmap_score(h3);
  EXPECT_DOUBLE_EQ(s.pixels, 2.0);
  EXPECT_DOUBLE_EQ(s.frobenius, std::sqrt(66.0));
}

TEST(ScoreHeatmapScore, ByteMaskEqualsBinaryFloatMask) {
  cv::Mat h(40, 29, CV_32FC3);
  cv::randu(h, 0, 50);
  cv::Mat mb = cv::Mat::zeros(h.size(), CV_8UC1);
  cv::circle(mb, cv::Point(14, 20), 9, cv::Scalar(255), -1);
  cv::Mat mf;
  mb.convertTo(mf, CV_32F, 1.0 / 255);
  HeatmapScore a = heatmap_score(h, mb), b = heatmap_score(h, mf);
  EXPECT_TRUE(same_score(a, b));
  EXPECT_EQ(a.pixels, double(cv::countNonZero(mb)));
}

TEST(ScoreHeatmapScore, LargerScoreMeansSmallerDifference) {
  cv::Mat a = random_rgb(32, 32, 3);
  double last = std::numeric_limits<double>::infinity();
  for (int amount : {1, 2, 4, 8, 16, 32}) {
    cv::Mat b;
    cv::add(a, cv::Scalar::all(amount), b);
    double s = heatmap_score(pse_heatmap(a, b, {ColourSpace::YCbCr, 0})).score;
    EXPECT_LT(s, last) << amount;
    last = s;
  }
}

TEST(ScoreHeatmapScore, BadMasksAndHeatmapsThrow) {
  cv::Mat h(4, 5, CV_32FC3, cv::Scalar(1, 1, 1));
  EXPECT_THROW(heatmap_score(h, cv::Mat(4, 6, CV_32FC1, cv::Scalar(1))), InputError);
  EXPECT_THROW(heatmap_score(h, cv::Mat(4, 5, CV_64FC1, cv::Scalar(1))), InputTypeError);
  EXPECT_THROW(heatmap_score(h, cv::Mat(4, 5, CV_32FC1, cv::Scalar(1.5))), InputError);
  EXPECT_THROW(heatmap_score(h, cv::Mat(4, 5, CV_32FC1, cv::Scalar(-0.1))), InputError);
  EXPECT_THROW(heatmap_score(h, cv::Mat(4, 5, CV_8UC1, cv::Scalar(1))), InputError);  // 0/1 bytes: not 0/255
  cv::Mat nan_mask(4, 5, CV_32FC1, cv::Scalar(1));
  nan_mask.at<float>(2, 3) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(heatmap_score(h, nan_mask), InputError);
  try {
    heatmap_score(h, cv::Mat::zeros(4, 5, CV_32FC1));
    FAIL() << "an empty mask must throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("selects no pixels"), std::string::npos) << e.what();
  }
  for (float bad : {-1.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    cv::Mat hb = h.clone();
    hb.at<cv::Vec3f>(3, 4)[1] = bad;
    EXPECT_THROW(heatmap_score(hb), InputError) << bad;
    // ... even where the mask is 0.
    cv::Mat m(4, 5, CV_32FC1, cv::Scalar(1));
    m.at<float>(3, 4) = 0;
    EXPECT_THROW(heatmap_score(hb, m), InputError) << bad;
  }
  EXPECT_THROW(heatmap_score(cv::Mat(4, 5, CV_8UC3)), InputTypeError);
  EXPECT_THROW(heatmap_score(cv::Mat()), InputError);
}

TEST(ScoreInputs, BadImagesThrow) {
  cv::Mat a = random_rgb(8, 8, 1);
  const HeatmapOptions o;
  EXPECT_THROW(pse_heatmap(a, random_rgb(8, 9, 2), o), InputError);
  EXPECT_THROW(pse_heatmap(a, cv::Mat(8, 8, CV_32FC3), o), InputTypeError);
  EXPECT_THROW(pse_heatmap(cv::Mat(8, 8, CV_8UC1), a, o), InputTypeError);
  EXPECT_THROW(pse_heatmap(a, cv::Mat(), o), InputError);
  EXPECT_THROW(ssim_heatmap(a, random_rgb(9, 8, 2), o), InputError);
  EXPECT_THROW(rgb_to_ycbcr(cv::Mat(8, 8, CV_8UC4)), InputTypeError);
  for (int k : {-3, 2, 4}) {
    EXPECT_THROW(pse_heatmap(a, a, {ColourSpace::RGB, k}), InputError) << k;
    EXPECT_THROW(ssim_heatmap(a, a, {ColourSpace::RGB, k}), InputError) << k;
    EXPECT_THROW(pse_score(a, a, cv::Mat(), {ColourSpace::RGB, k}), InputError) << k;
  }
  try {
    pse_heatmap(a, cv::Mat(8, 8, CV_32FC3), o);
    FAIL() << "a float image must throw";
  } catch (const InputTypeError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("CV_8UC3"), std::string::npos) << what;  // what was expected
    EXPECT_NE(what.find("CV_32FC3"), std::string::npos) << what;  // and what came
  }
}

TEST(ScoreFused, BitIdenticalToTheSeparateCalls) {
  cv::RNG rng(11);
  for (cv::Size size : {cv::Size(1, 1), cv::Size(5, 3), cv::Size(8, 8), cv::Size(67, 41), cv::Size(200, 150)})
    for (auto colour : {ColourSpace::RGB, ColourSpace::YCbCr})
      for (int k : {0, 3, 5}) {
        cv::Mat a = random_rgb(size.height, size.width, 1), b = a.clone();
        cv::Mat noise(size, CV_8UC3);
        rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
        cv::add(b, noise, b);
        cv::Mat soft(size, CV_32FC1), hard = cv::Mat::zeros(size, CV_8UC1);
        rng.fill(soft, cv::RNG::UNIFORM, 0.0, 1.0);
        hard.setTo(255, soft > 0.3);
        soft.at<float>(0, 0) = 1.0f;
        hard.at<std::uint8_t>(0, 0) = 255;
        HeatmapOptions o{colour, k};
        cv::Mat heat = pse_heatmap(a, b, o);
        for (const cv::Mat& mask : {cv::Mat(), soft, hard}) {
          cv::Mat fused_heat;
          HeatmapScore fused = pse_score(a, b, mask, o, &fused_heat);
          HeatmapScore separate = heatmap_score(heat, mask);
          EXPECT_TRUE(same_score(fused, separate)) << size << " k " << k << ": " << fused.score << " vs " << separate.score;
          EXPECT_TRUE(same_score(pse_score(a, b, mask, o), separate));
          EXPECT_EQ(cv::norm(fused_heat, heat, cv::NORM_INF), 0.0);
        }
      }
}

TEST(ScoreFused, ThreadCountDoesNotChangeResults) {
  cv::Mat a = random_rgb(300, 170, 4), b = random_rgb(300, 170, 5);
  cv::Mat mask(a.size(), CV_32FC1);
  cv::randu(mask, 0, 1);
  int threads = cv::getNumThreads();
  cv::setNumThreads(1);
  HeatmapScore one = pse_score(a, b, mask);
  cv::Mat h1 = pse_heatmap(a, b), e1 = erode_heatmap(h1, 5);
  cv::setNumThreads(4);
  HeatmapScore four = pse_score(a, b, mask);
  cv::Mat h4 = pse_heatmap(a, b), e4 = erode_heatmap(h1, 5);
  HeatmapScore four_separate = heatmap_score(h4, mask);
  cv::setNumThreads(threads);
  EXPECT_TRUE(same_score(one, four));
  EXPECT_TRUE(same_score(one, four_separate));
  EXPECT_EQ(cv::norm(h1, h4, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(e1, e4, cv::NORM_INF), 0.0);
}

TEST(ScoreSsim, ConstantImagesHandComputed) {
  // Constant images: all variances vanish, SSIM = (2 a b + C1) / (a^2 + b^2 + C1).
  cv::Mat a(15, 12, CV_8UC3, cv::Scalar(100, 50, 200)), b(15, 12, CV_8UC3, cv::Scalar(120, 50, 10));
  cv::Mat h = ssim_heatmap(a, b, {ColourSpace::RGB, 0});
  ASSERT_EQ(h.type(), CV_32FC3);
  const double c1 = 6.5025;
  const double av[3] = {100, 50, 200}, bv[3] = {120, 50, 10};
  for (int c = 0; c < 3; ++c) {
    double expected = 1 - (2 * av[c] * bv[c] + c1) / (av[c] * av[c] + bv[c] * bv[c] + c1);
    double lo, hi;
    cv::Mat plane;
    cv::extractChannel(h, plane, c);
    cv::minMaxLoc(plane, &lo, &hi);
    EXPECT_NEAR(lo, expected, 1e-6) << c;
    EXPECT_NEAR(hi, expected, 1e-6) << c;
  }
}

TEST(ScoreSsim, IdenticalImagesAreZeroAndDifferencesArePositive) {
  cv::Mat a = random_rgb(40, 31, 8);
  for (auto colour : {ColourSpace::RGB, ColourSpace::YCbCr}) {
    cv::Mat h = ssim_heatmap(a, a, {colour, 0});
    EXPECT_EQ(cv::countNonZero(h.reshape(1)), 0);
    cv::Mat b = a.clone();
    b(cv::Rect(10, 10, 8, 8)).setTo(cv::Scalar(0, 0, 0));
    h = ssim_heatmap(a, b, {colour, 0});
    double lo, hi;
    cv::minMaxLoc(h.reshape(1), &lo, &hi);
    EXPECT_GE(lo, 0.0);
    EXPECT_GT(hi, 0.1);
    EXPECT_LE(hi, 2.0);
    // Erosion is the same eq. 5 as for PSE.
    cv::Mat eroded = ssim_heatmap(a, b, {colour, 3});
    EXPECT_EQ(cv::norm(eroded, erode_heatmap(h, 3), cv::NORM_INF), 0.0);
  }
}

TEST(ScoreFused, PortableKernelsAgreeWithTheVectorizedOnes) {
  cv::Mat a = random_rgb(70, 93, 12), b = random_rgb(70, 93, 13);
  cv::Mat mask(a.size(), CV_32FC1);
  cv::randu(mask, 0, 1);
  for (auto colour : {ColourSpace::RGB, ColourSpace::YCbCr})
    for (int k : {0, 3, 5}) {
      HeatmapOptions o{colour, k};
      cv::Mat heat_simd = pse_heatmap(a, b, o);
      HeatmapScore simd = heatmap_score(heat_simd, mask);
      score_detail::set_simd_enabled(false);
      cv::Mat heat = pse_heatmap(a, b, o), fused_heat;
      HeatmapScore portable = heatmap_score(heat, mask);
      HeatmapScore fused = pse_score(a, b, mask, o, &fused_heat);
      cv::Mat eroded = erode_heatmap(heat_simd, 3);
      score_detail::set_simd_enabled(true);
      EXPECT_TRUE(same_score(fused, portable));
      EXPECT_EQ(cv::norm(fused_heat, heat, cv::NORM_INF), 0.0);
      EXPECT_EQ(cv::norm(eroded, erode_heatmap(heat_simd, 3), cv::NORM_INF), 0.0);
      EXPECT_LE(cv::norm(heat, heat_simd, cv::NORM_INF), 1e-6 * cv::norm(heat_simd, cv::NORM_INF));
      if (colour == ColourSpace::RGB) {
        EXPECT_EQ(cv::norm(heat, heat_simd, cv::NORM_INF), 0.0);
        EXPECT_TRUE(same_score(simd, portable));  // the sums are bit-identical
      }
      EXPECT_NEAR(portable.score, simd.score, 1e-7);
      // The same heatmap gives the same score either way.
      score_detail::set_simd_enabled(false);
      HeatmapScore portable_on_simd_heat = heatmap_score(heat_simd, mask);
      score_detail::set_simd_enabled(true);
      EXPECT_TRUE(same_score(portable_on_simd_heat, simd));
    }
}
