// Detect + landmarks + pose + align of one 1024x1024 photo on one core (target: <= 60 ms median),
// beside a reference run: the naive pipeline that detects on the full-resolution image and
// aligns with a plain mirrored warp (no blurred fill).

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "bench_support.hpp"
#include "facenorm/align.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/image_io.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/pose.hpp"

using namespace facenorm;

namespace {

cv::Mat workload() {
  static cv::Mat img = [] {
    std::string path = benchmark_face_path();
    cv::Mat rgb = read_image(path), big;
    cv::resize(rgb, big, cv::Size(1024, 1024), 0, 0, cv::INTER_CUBIC);
    return big;
  }();
  return img;
}

const LandmarkPredictor& predictor() {
  static LandmarkPredictor p("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
  return p;
}

void run_pipeline(benchmark::State& state, const FaceDetector& detector, bool blur_fill) {
  cv::setNumThreads(1);
  cv::Mat img = workload();
  predictor();  // load the landmark model outside the timed loop
  AlignOptions o;
  o.blur_background = blur_fill;
  for (auto _ : state) {
    FaceBox box = detector.detect(img)[0];
    Landmarks pts = predictor().predict(img, box);
    HeadPose pose = head_pose(pts, img.size());
    AlignedFace a = align_face(img, pts, o);
    benchmark::DoNotOptimize(pose);
    benchmark::DoNotOptimize(a.image.data);
  }
}

void BM_Facenorm_DetectLandmarksPoseAlign(benchmark::State& state) {
  static FaceDetector detector;  // defaults: HOG, detect on a copy downscaled to max_side
  run_pipeline(state, detector, true);
}

void BM_Reference_FullResolutionPlainWarp(benchmark::State& state) {
  DetectorOptions o;
  o.max_side = 100000;  // never downscale
  o.coarse_side = 0;    // and no coarse first pass
  static FaceDetector detector(o);
  run_pipeline(state, detector, false);
}

void BM_Stage_Detect(benchmark::State& state) {
  cv::setNumThreads(1);
  static FaceDetector detector;
  cv::Mat img = workload();
  for (auto _ : state) benchmark::DoNotOptimize(detector.detect(img));
}

void BM_Stage_Landmarks(benchmark::State& state) {
  static FaceDetector detector;
  cv::Mat img = workload();
  FaceBox box = detector.detect(img)[0];
  const LandmarkPredictor& model = predictor();  // load the 100 MB model outside the timed loop
  for (auto _ : state) benchmark::DoNotOptimize(model.predict(img, box));
}

void BM_Stage_AlignWithBlurFill(benchmark::State& state) {
  cv::setNumThreads(1);
  static FaceDetector detector;
  cv::Mat img = workload();
  Landmarks pts = predictor().predict(img, detector.detect(img)[0]);
  for (auto _ : state) benchmark::DoNotOptimize(align_face(img, pts).image.data);
}

}  // namespace

BENCHMARK(BM_Facenorm_DetectLandmarksPoseAlign)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Reference_FullResolutionPlainWarp)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Stage_Detect)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage_Landmarks)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage_AlignWithBlurFill)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
