// Piecewise-affine warp of a 512x512 face with the upper lip (49-53) moved, as LT-v2 does,
// beside the reference strategy of the ICMI 2024 official code: every face triangle warped with
// cv::warpAffine on its bounding box and pasted through a triangle mask.

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "bench_support.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/image_io.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/warp.hpp"

using namespace facenorm;

namespace {

struct Workload {
  cv::Mat image;
  Landmarks src, dst;
};

const Workload& workload() {
  static Workload w = [] {
    std::string path = benchmark_face_path();
    Workload out;
    out.image = read_image(path);
    FaceDetector detector;
    LandmarkPredictor predictor("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
    out.src = predictor.predict(out.image, detector.detect(out.image)[0]);
    out.dst = out.src;
    float mouth = out.src[54].x - out.src[48].x;
    for (int i = 49; i <= 53; ++i) out.dst[size_t(i)].y -= 0.08f * mouth * (i == 50 ? 1.0f : 0.5f);
    return out;
  }();
  return w;
}

// The per-triangle strategy: bounding-box warpAffine + mask for every face triangle.
cv::Mat per_triangle_reference(const cv::Mat& img, const Landmarks& src, const Landmarks& dst,
                               const std::vector<Triangle>& tris) {
  cv::Mat out = img.clone();
  for (const auto& t : tris) {
    std::vector<cv::Point2f> s = {src[size_t(t[0])], src[size_t(t[1])], src[size_t(t[2])]};
    std::vector<cv::Point2f> d = {dst[size_t(t[0])], dst[size_t(t[1])], dst[size_t(t[2])]};
    cv::Rect rs = cv::boundingRect(s) & cv::Rect(0, 0, img.cols, img.rows);
    cv::Rect rd = cv::boundingRect(d) & cv::Rect(0, 0, img.cols, img.rows);
    if (rs.empty() || rd.empty()) continue;
    for (auto& p : s) p -= cv::Point2f(float(rs.x), float(rs.y));
    std::vector<cv::Point> dl;
    for (auto& p : d) {
      p -= cv::Point2f(float(rd.x), float(rd.y));
      dl.emplace_back(int(std::lround(p.x)), int(std::lround(p.y)));
    }
    cv::Mat patch;
    cv::warpAffine(img(rs), patch, cv::getAffineTransform(s.data(), d.data()), rd.size(), cv::INTER_LINEAR,
                   cv::BORDER_REFLECT_101);
    cv::Mat mask = cv::Mat::zeros(rd.size(), CV_8U);
    cv::fillConvexPoly(mask, dl, cv::Scalar(255), cv::LINE_AA);
    patch.copyTo(out(rd), mask);
  }
  return out;
}

void BM_Facenorm_PiecewiseAffineWarp(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  for (auto _ : state) benchmark::DoNotOptimize(piecewise_affine_warp(w.image, w.src, w.dst).data);
}

void BM_Reference_PerTriangleWarpAffine(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& w = workload();
  std::vector<Triangle> face;
  for (const auto& t : delaunay_with_anchors(w.src, w.image.size(), nullptr))
    if (t[0] < kNumLandmarks && t[1] < kNumLandmarks && t[2] < kNumLandmarks) face.push_back(t);
  for (auto _ : state) benchmark::DoNotOptimize(per_triangle_reference(w.image, w.src, w.dst, face).data);
}

}  // namespace

BENCHMARK(BM_Facenorm_PiecewiseAffineWarp)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Reference_PerTriangleWarpAffine)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK_MAIN();
