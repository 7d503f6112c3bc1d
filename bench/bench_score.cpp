// Anomaly heatmap + score (PLOS ONE 2023 eqs. 3-6) on a 1024 x 1024 face, one core.
// Target: pse_heatmap (YCbCr, 3 x 3 erosion) + heatmap_score <= 3 ms median, and >= 10x the
// NumPy/OpenCV-Python reference of bench/bench_score_reference.py. Beside it: the fused
// pse_score, the stages alone, ssim_heatmap, and the same steps composed of plain OpenCV calls.
//
//   taskset -c 0 build/bench_score --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <cmath>
#include <cstdio>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "bench_support.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/image_io.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/regions.hpp"
#include "facenorm/score.hpp"

using namespace facenorm;

namespace {

struct Workload {
  cv::Mat original, normalized, mask;  // RGB uint8 1024 x 1024 (x2), float32 soft mouth mask
};

// The face resized to 1024 x 1024; "normalized" = the same face with the lips (landmarks
// 48-59, plus a margin) blurred and shifted 4 px down: a lip-sized change.
const Workload& workload() {
  static Workload w = [] {
    Workload out;
    cv::Mat rgb = read_image(benchmark_face_path());
    cv::resize(rgb, out.original, cv::Size(1024, 1024), 0, 0, cv::INTER_CUBIC);
    FaceDetector detector;
    LandmarkPredictor predictor("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
    Landmarks pts = predictor.predict(out.original, detector.detect(out.original)[0]);
    std::vector<cv::Point2f> lips(pts.begin() + 48, pts.begin() + 60);
    cv::Rect box = cv::boundingRect(lips);
    box = cv::Rect(box.x - 10, box.y - 10, box.width + 20, box.height + 20) & cv::Rect(0, 4, 1024, 1020);
    out.normalized = out.original.clone();
    cv::Mat patch;
    // Blur a copy (not the ROI, whose border would see the rest of the face): as NumPy slicing
    // in bench_score_reference.py does.
    cv::GaussianBlur(out.original(box - cv::Point(0, 4)).clone(), patch, cv::Size(0, 0), 3.0);
    patch.copyTo(out.normalized(box));
    out.mask = region_mask(pts, out.original.size(), Region::Mouth, 2.0);
    std::printf("workload: %s at 1024 x 1024, changed patch %d x %d, mask weight %.0f px\n",
                benchmark_face_path().c_str(), box.width, box.height, cv::sum(out.mask)[0]);
    return out;
  }();
  return w;
}

const HeatmapOptions kBoth{ColourSpace::YCbCr, 3};  // the paper's "+Both"

void BM_Facenorm_PseHeatmapPlusScore(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) {
    cv::Mat h = pse_heatmap(w.original, w.normalized, kBoth);
    HeatmapScore s = heatmap_score(h, w.mask);
    benchmark::DoNotOptimize(s);
  }
}

void BM_Facenorm_PseScoreFused_WithHeatmap(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  // Sanity check (untimed): the fused pass is bit-identical to the two calls.
  cv::Mat fused_heat;
  HeatmapScore a = heatmap_score(pse_heatmap(w.original, w.normalized, kBoth), w.mask);
  HeatmapScore b = pse_score(w.original, w.normalized, w.mask, kBoth, &fused_heat);
  if (a.score != b.score || a.frobenius != b.frobenius || a.pixels != b.pixels ||
      cv::norm(fused_heat, pse_heatmap(w.original, w.normalized, kBoth), cv::NORM_INF) != 0)
    state.SkipWithError("pse_score differs from pse_heatmap + heatmap_score");
  state.counters["S"] = a.score;
  for (auto _ : state) {
    cv::Mat h;
    HeatmapScore s = pse_score(w.original, w.normalized, w.mask, kBoth, &h);
    benchmark::DoNotOptimize(s);
  }
}

void BM_Facenorm_PseScoreFused_ScoreOnly(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) {
    HeatmapScore s = pse_score(w.original, w.normalized, w.mask, kBoth);
    benchmark::DoNotOptimize(s);
  }
}

void BM_Stage_PseHeatmap(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) benchmark::DoNotOptimize(pse_heatmap(w.original, w.normalized, kBoth).data);
}

void BM_Stage_HeatmapScore(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  cv::Mat h = pse_heatmap(w.original, w.normalized, kBoth);
  for (auto _ : state) {
    HeatmapScore s = heatmap_score(h, w.mask);
    benchmark::DoNotOptimize(s);
  }
}

void BM_Stage_RgbToYCbCr(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) benchmark::DoNotOptimize(rgb_to_ycbcr(w.original).data);
}

void BM_Facenorm_SsimHeatmap(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) benchmark::DoNotOptimize(ssim_heatmap(w.original, w.normalized, {ColourSpace::YCbCr, 0}).data);
}

// The same steps composed of plain OpenCV calls (float32 colour transform of both images,
// subtract, square, cv::erode with a replicated border, masked sum).
void BM_Reference_OpenCVCalls(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  cv::Matx33f k(65.481f, 128.553f, 24.966f, -37.797f, -74.203f, 112.0f, 112.0f, -93.786f, -18.214f);
  k *= 1.0f / 255.0f;
  cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
  for (auto _ : state) {
    cv::Mat a, b, d, h, m3, dummy;
    w.original.convertTo(a, CV_32F);
    w.normalized.convertTo(b, CV_32F);
    cv::transform(a, a, k);
    cv::transform(b, b, k);
    cv::add(a, cv::Scalar(16, 128, 128), a);
    cv::add(b, cv::Scalar(16, 128, 128), b);
    cv::subtract(a, b, d);
    cv::multiply(d, d, h);
    cv::erode(h, h, kernel, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
    cv::Mat planes[] = {w.mask, w.mask, w.mask};
    cv::merge(planes, 3, m3);
    double f = std::sqrt(cv::sum(h.mul(m3)).dot(cv::Scalar(1, 1, 1, 0)));
    double s = -std::log(std::max(f / cv::sum(w.mask)[0], kScoreFloor));
    benchmark::DoNotOptimize(s);
  }
}

}  // namespace

BENCHMARK(BM_Facenorm_PseHeatmapPlusScore)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Facenorm_PseScoreFused_WithHeatmap)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Facenorm_PseScoreFused_ScoreOnly)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Stage_PseHeatmap)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Stage_HeatmapScore)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Stage_RgbToYCbCr)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Facenorm_SsimHeatmap)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Reference_OpenCVCalls)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK_MAIN();
