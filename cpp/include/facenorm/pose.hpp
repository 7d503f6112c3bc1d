// Head pose from 68 landmarks: solvePnP against a generic 3D 68-point face.
#pragma once

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

// Degrees. Signs (camera looking at the subject, image x to the right, y down):
//   yaw   > 0: the face turns towards the image's right (the subject's left);
//   pitch > 0: the face tilts up (chin forward/up);
//   roll  > 0: the face rotates clockwise in the image (eye line falls to the image right).
struct HeadPose {
  double yaw = 0, pitch = 0, roll = 0;
};

// focal length defaults to the image's longer side (a ~53 degree field of view).
HeadPose head_pose(const Landmarks& pts, cv::Size image_size, double focal_length = 0.0);

// The ICMI 2024 filter: |yaw| and |pitch| below the limit (15 degrees).
bool is_frontal(const HeadPose& pose, double max_yaw_deg = 15.0, double max_pitch_deg = 15.0);

// The generic face the pose is solved against (68 x 3, model units ~ millimetres).
const std::vector<cv::Point3f>& generic_face_model_3d();

}  // namespace facenorm
