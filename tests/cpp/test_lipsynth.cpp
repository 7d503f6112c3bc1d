#include <cmath>

#include "facenorm/errors.hpp"
#include "facenorm/lipsynth.hpp"
#include "facenorm/pose.hpp"
#include "test_support.hpp"

using namespace facenorm;

namespace {

// A face-shaped landmark set: the generic model's x, y scaled into a 400 x 400 image.
Landmarks generic_face() {
  Landmarks pts;
  for (const auto& p : generic_face_model_3d()) pts.emplace_back(200.0f + 1.5f * p.x, 200.0f + 1.5f * p.y);
  return pts;
}

}  // namespace

TEST(LipTransformV2, ZeroSeverityIsIdentityAndOnlyTheUpperLipMoves) {
  Landmarks control = generic_face(), tmpl = generic_face();
  for (auto& p : tmpl) p = p * 0.5f + cv::Point2f(10, 20);  // another scale and place
  tmpl[50].y -= 6.0f;                                        // a raised left peak
  Landmarks zero = lip_transform_v2_landmarks(control, tmpl, 0.0);
  for (size_t i = 0; i < 68; ++i) EXPECT_EQ(zero[i], control[i]);
  Landmarks full = lip_transform_v2_landmarks(control, tmpl, 1.0);
  for (size_t i = 0; i < 68; ++i)
    if (i < 49 || i > 53) EXPECT_EQ(full[i], control[i]);
  EXPECT_NEAR(full[51].x, control[51].x, 1e-3);  // the control's bow midpoint anchors the shape
  // The template's peak, 6 px at half scale, becomes 12 px at the control's (double) mouth width.
  EXPECT_NEAR(control[50].y - full[50].y, 12.0, 1e-3);
}

TEST(LipTransformV2, RejectsBadSeverityAndMouths) {
  Landmarks control = generic_face(), flat = generic_face();
  EXPECT_THROW(lip_transform_v2_landmarks(control, control, -0.1), InputError);
  EXPECT_THROW(lip_transform_v2_landmarks(control, control, std::nan("")), InputError);
  flat[54] = flat[48];
  EXPECT_THROW(lip_transform_v2_landmarks(control, flat, 1.0), InputError);
}
