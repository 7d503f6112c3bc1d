#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facenorm/align.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/regions.hpp"
#include "test_support.hpp"

using namespace facenorm;
using facenorm::testing::celeba_image;
using facenorm::testing::landmark_model;

namespace {

struct RealFace {
  cv::Mat image;
  Landmarks pts;
};

RealFace real_face(int index) {
  RealFace f;
  std::string path = celeba_image("test", index);
  if (path.empty()) return f;
  f.image = read_image(path);
  static FaceDetector detector;
  static LandmarkPredictor predictor(landmark_model());
  f.pts = predictor.predict(f.image, detector.detect(f.image)[0]);
  return f;
}

float at(const cv::Mat& mask, cv::Point2f p) { return mask.at<float>(int(std::lround(p.y)), int(std::lround(p.x))); }

}  // namespace

TEST(Regions, MasksCoverWhatTheyName) {
  RealFace f = real_face(2);
  if (f.image.empty()) GTEST_SKIP() << "no shared data";
  cv::Point2f lip_centre = (f.pts[51] + f.pts[57]) * 0.5f;
  cv::Mat lip = region_mask(f.pts, f.image.size(), Region::Lip);
  EXPECT_EQ(at(lip, lip_centre), 1.0f);
  EXPECT_EQ(at(lip, f.pts[30]), 0.0f);
  cv::Mat mouth_nose = region_mask(f.pts, f.image.size(), Region::MouthNose);
  EXPECT_EQ(at(mouth_nose, f.pts[30]), 1.0f);
  EXPECT_GT(cv::sum(mouth_nose)[0], cv::sum(region_mask(f.pts, f.image.size(), Region::Mouth))[0]);
  cv::Mat face = region_mask(f.pts, f.image.size(), Region::FaceNoEyes);
  EXPECT_EQ(at(face, right_eye_centre(f.pts)), 0.0f);
  EXPECT_EQ(at(face, left_eye_centre(f.pts)), 0.0f);
  EXPECT_EQ(at(face, f.pts[30]), 1.0f);
}

TEST(Regions, CropMatrixMapsLandmarksInside) {
  RealFace f = real_face(3);
  if (f.image.empty()) GTEST_SKIP() << "no shared data";
  for (Region r : {Region::Lip, Region::Mouth, Region::MouthNose, Region::FaceNoEyes}) {
    RegionCrop c = crop_region(f.image, f.pts, r, 224);
    ASSERT_EQ(c.image.size(), cv::Size(224, 224));
    Landmarks mapped = transform_points(f.pts, c.matrix);
    for (int i = 48; i < 68; ++i) {
      EXPECT_GT(mapped[size_t(i)].x, 0) << to_string(r);
      EXPECT_LT(mapped[size_t(i)].y, 224) << to_string(r);
    }
  }
}

TEST(Align, SmallFaceNearBorderIsFilledNotBlack) {
  RealFace f = real_face(0);
  if (f.image.empty()) GTEST_SKIP() << "no shared data";
  AlignOptions o;
  o.eye_distance = 300;  // zoom in 3x: the 1024 crop reaches far past the 512 photo
  AlignedFace a = align_face(f.image, f.pts, o);
  cv::Mat gray;
  cv::cvtColor(a.image, gray, cv::COLOR_RGB2GRAY);
  EXPECT_LT(cv::countNonZero(gray < 5), int(0.01 * gray.total()));
  cv::Point2f d = left_eye_centre(a.landmarks) - right_eye_centre(a.landmarks);
  EXPECT_NEAR(std::hypot(d.x, d.y), 300.0, 1.0);
  EXPECT_NEAR(d.y, 0.0, 0.5);
}

TEST(Align, RejectsBadOptions) {
  Landmarks pts(68, cv::Point2f(50, 50));
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar::all(0));
  EXPECT_THROW(align_face(img, pts), InputError);  // eye centres coincide
  AlignOptions o;
  o.size = 10;
  EXPECT_THROW(alignment_matrix(pts, o), InputError);
}

TEST(Detector, PoliciesOnTwoFaces) {
  RealFace a = real_face(0), b = real_face(3);
  if (a.image.empty()) GTEST_SKIP() << "no shared data";
  cv::Mat two;
  cv::hconcat(a.image, b.image, two);
  FaceDetector d;
  EXPECT_EQ(d.detect(two, MultiFacePolicy::All).size(), 2u);
  EXPECT_EQ(d.detect(two, MultiFacePolicy::Largest).size(), 1u);
  EXPECT_THROW(d.detect(two, MultiFacePolicy::Error), MultipleFacesError);
}
