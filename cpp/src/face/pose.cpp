#include "facenorm/pose.hpp"

#include <cmath>

#include <opencv2/calib3d.hpp>

#include "facenorm/errors.hpp"

namespace facenorm {

// A generic 3D face in millimetres: x to the image right, y down, z away from the camera,
// origin at the nose tip (30). x and y are the mean shape of dlib's 68-point model
// (shape_predictor_68_face_landmarks.dat, its initial_shape, symmetric to 1e-4), scaled to a
// 63 mm distance between eye centres; z is an anthropometric depth per landmark group (jaw
// from 20 mm at the chin to 90 mm at the ears, brows 26-45, eyes 29-38, lips 17-30).
// A face whose landmarks match the 2D mean shape therefore has yaw = pitch = roll = 0.
const std::vector<cv::Point3f>& generic_face_model_3d() {
  static const std::vector<cv::Point3f> model = {
    {-72.1f, -34.5f, 90.0f},
    {-71.6f, -15.4f, 78.8f},
    {-69.6f, 3.6f, 68.2f},
    {-65.6f, 22.2f, 58.0f},
    {-58.2f, 39.5f, 48.4f},
    {-46.8f, 54.6f, 39.6f},
    {-32.8f, 67.1f, 31.5f},
    {-17.4f, 77.1f, 24.7f},
    {0.0f, 80.1f, 20.0f},
    {17.4f, 77.1f, 24.7f},
    {32.8f, 67.1f, 31.5f},
    {46.8f, 54.6f, 39.6f},
    {58.2f, 39.5f, 48.4f},
    {65.6f, 22.2f, 58.0f},
    {69.6f, 3.6f, 68.2f},
    {71.6f, -15.4f, 78.8f},
    {72.1f, -34.5f, 90.0f},
    {-58.4f, -48.5f, 45.0f},
    {-49.4f, -56.5f, 36.0f},
    {-36.8f, -58.9f, 30.0f},
    {-23.8f, -57.0f, 27.0f},
    {-11.5f, -51.9f, 26.0f},
    {11.5f, -51.9f, 26.0f},
    {23.8f, -57.0f, 27.0f},
    {36.8f, -58.9f, 30.0f},
    {49.4f, -56.5f, 36.0f},
    {58.4f, -48.5f, 45.0f},
    {0.0f, -37.0f, 26.0f},
    {0.0f, -24.7f, 18.0f},
    {0.0f, -12.5f, 10.0f},
    {0.0f, 0.0f, 0.0f},
    {-14.6f, 8.5f, 18.0f},
    {-7.6f, 11.1f, 14.0f},
    {0.0f, 13.3f, 13.0f},
    {7.6f, 11.1f, 14.0f},
    {14.6f, 8.5f, 18.0f},
    {-43.9f, -35.5f, 38.0f},
    {-36.1f, -40.0f, 31.0f},
    {-26.7f, -39.8f, 30.0f},
    {-18.5f, -33.6f, 29.0f},
    {-27.3f, -32.1f, 31.0f},
    {-36.6f, -32.2f, 33.0f},
    {18.5f, -33.6f, 29.0f},
    {26.7f, -39.8f, 30.0f},
    {36.1f, -40.0f, 31.0f},
    {43.9f, -35.5f, 38.0f},
    {36.6f, -32.2f, 33.0f},
    {27.3f, -32.1f, 31.0f},
    {-28.0f, 31.3f, 30.0f},
    {-17.7f, 27.2f, 22.0f},
    {-7.3f, 25.0f, 18.0f},
    {0.0f, 26.8f, 17.0f},
    {7.3f, 25.0f, 18.0f},
    {17.7f, 27.2f, 22.0f},
    {28.0f, 31.3f, 30.0f},
    {18.0f, 41.4f, 23.0f},
    {7.9f, 45.8f, 19.0f},
    {0.0f, 46.7f, 18.0f},
    {-7.9f, 45.8f, 19.0f},
    {-18.0f, 41.4f, 23.0f},
    {-23.7f, 31.8f, 28.0f},
    {-7.4f, 31.1f, 20.0f},
    {0.0f, 31.9f, 19.0f},
    {7.4f, 31.1f, 20.0f},
    {23.7f, 31.8f, 28.0f},
    {7.5f, 36.6f, 21.0f},
    {0.0f, 37.5f, 20.0f},
    {-7.5f, 36.6f, 21.0f},  };
  return model;
}

HeadPose head_pose(const Landmarks& pts, cv::Size image_size, double focal_length) {
  check_landmarks(pts, image_size);
  if (image_size.width <= 0 || image_size.height <= 0)
    throw InputError("head_pose: expected a positive image size");
  double f = focal_length > 0 ? focal_length : double(std::max(image_size.width, image_size.height));
  cv::Matx33d camera(f, 0, image_size.width / 2.0, 0, f, image_size.height / 2.0, 0, 0, 1);
  std::vector<cv::Point2f> image_points(pts.begin(), pts.end());
  cv::Mat rvec, tvec;
  try {
    // EPnP gives a global estimate; Levenberg-Marquardt refines it on all 68 points.
    cv::solvePnP(generic_face_model_3d(), image_points, camera, cv::noArray(), rvec, tvec, false, cv::SOLVEPNP_EPNP);
    cv::solvePnP(generic_face_model_3d(), image_points, camera, cv::noArray(), rvec, tvec, true,
                 cv::SOLVEPNP_ITERATIVE);
  } catch (const cv::Exception& e) {
    throw InputError(std::string("head_pose: solvePnP failed on these landmarks: ") + e.what());
  }
  cv::Matx33d R;
  cv::Rodrigues(rvec, R);
  // R = Rz(roll) * Ry(b) * Rx(a) in camera axes (x right, y down, z forward).
  double b = std::asin(std::clamp(-R(2, 0), -1.0, 1.0));
  double a = std::atan2(R(2, 1), R(2, 2));
  double g = std::atan2(R(1, 0), R(0, 0));
  const double deg = 180.0 / CV_PI;
  // A positive rotation about y (pointing down) moves the nose tip (z < 0) to the image left,
  // and one about x moves it down: flip both so that "right" and "up" are positive.
  return HeadPose{-b * deg, -a * deg, g * deg};
}

bool is_frontal(const HeadPose& pose, double max_yaw_deg, double max_pitch_deg) {
  return std::abs(pose.yaw) < max_yaw_deg && std::abs(pose.pitch) < max_pitch_deg;
}

}  // namespace facenorm
