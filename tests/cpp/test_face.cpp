#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facenorm/align.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/pose.hpp"
#include "facenorm/regions.hpp"
#include "test_support.hpp"

using namespace facenorm;
using facenorm::testing::celeba_image;
using facenorm::testing::landmark_model;

namespace {

Landmarks project(const cv::Matx33d& R, double f, cv::Size size) {
  Landmarks pts;
  for (const auto& p : generic_face_model_3d()) {
    cv::Vec3d q = R * cv::Vec3d(p.x, p.y, p.z) + cv::Vec3d(0, 0, 600);
    pts.emplace_back(float(f * q[0] / q[2] + size.width / 2.0), float(f * q[1] / q[2] + size.height / 2.0));
  }
  return pts;
}

cv::Matx33d rot_y(double deg) {
  double a = deg * CV_PI / 180;
  return {std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a)};
}
cv::Matx33d rot_x(double deg) {
  double a = deg * CV_PI / 180;
  return {1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a)};
}

}  // namespace

TEST(HeadPose, SyntheticProjectionsRecoverSignedAngles) {
  cv::Size size(640, 640);
  HeadPose frontal = head_pose(project(cv::Matx33d::eye(), 640, size), size);
  EXPECT_NEAR(frontal.yaw, 0, 0.5);
  EXPECT_NEAR(frontal.pitch, 0, 0.5);
  EXPECT_NEAR(frontal.roll, 0, 0.5);
  // Rotating about +y (down) by -20 degrees turns the nose towards the image right: yaw +20.
  HeadPose right = head_pose(project(rot_y(-20), 640, size), size);
  EXPECT_NEAR(right.yaw, 20, 1.0);
  Landmarks turned = project(rot_y(-20), 640, size);
  EXPECT_GT(turned[30].x, (turned[0].x + turned[16].x) / 2);  // nose right of the face centre
  HeadPose up = head_pose(project(rot_x(-15), 640, size), size);
  EXPECT_NEAR(up.pitch, 15, 1.0);
}

TEST(FacePipeline, RealFaceLandmarksPoseAlignCrop) {
  std::string path = celeba_image("test", 0);
  FACENORM_REQUIRE_FILE(path);
  cv::Mat img = read_image(path);
  FaceDetector detector;
  auto boxes = detector.detect(img);
  ASSERT_EQ(boxes.size(), 1u);
  LandmarkPredictor predictor(landmark_model());
  Landmarks pts = predictor.predict(img, boxes[0]);
  // Eyes above the nose tip above the mouth.
  EXPECT_LT(right_eye_centre(pts).y, pts[30].y);
  EXPECT_LT(pts[30].y, pts[51].y);
  AlignedFace a = align_face(img, pts);
  cv::Point2f d = left_eye_centre(a.landmarks) - right_eye_centre(a.landmarks);
  EXPECT_NEAR(std::hypot(d.x, d.y), 100.0, 1.0);
  EXPECT_NEAR(std::atan2(d.y, d.x) * 180 / CV_PI, 0.0, 0.5);
  RegionCrop crop = crop_region(img, pts, Region::Lip);
  EXPECT_EQ(crop.image.size(), cv::Size(224, 224));
  Landmarks lip = transform_points(pts, crop.matrix);
  for (int i = 48; i < 68; ++i) {
    EXPECT_GE(lip[size_t(i)].x, 0);
    EXPECT_LT(lip[size_t(i)].x, 224);
  }
}

TEST(FaceDetector, NoFaceAndBadModel) {
  cv::Mat flat(200, 200, CV_8UC3, cv::Scalar(128, 128, 128));
  FaceDetector detector;
  EXPECT_THROW(detector.detect(flat), NoFaceError);
  EXPECT_TRUE(detector.detect_all(flat).empty());
  DetectorOptions o;
  o.method = DetectorMethod::Haar;
  o.model_path = "/nonexistent.xml";
  EXPECT_THROW(FaceDetector{o}, ModelError);
}

TEST(Landmarks, RejectNanAndFarOutside) {
  Landmarks pts(68, cv::Point2f(10, 10));
  pts[5].x = std::nanf("");
  EXPECT_THROW(check_landmarks(pts, cv::Size(100, 100)), InputError);
  pts[5].x = 1e6f;
  EXPECT_THROW(check_landmarks(pts, cv::Size(100, 100)), InputError);
}
