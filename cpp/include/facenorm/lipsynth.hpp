// Synthetic cleft-like lips on normal faces (ICMI 2024, section 3.1).
#pragma once

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

// LT-v2 target landmarks (ICMI 2024 section 3.1): the control's outer upper-lip points 49-53
// replaced by the template's, "scaled based on the oral commissure points and displaced to the
// cupid's bow original midpoint": each template point's offset from the template's 51, measured
// in the template's mouth frame (along the corner line 48->54 and perpendicular to it) in units
// of its mouth width, is placed at the same offset from the control's 51 in the control's frame.
// The control's 51 therefore anchors the shape; corners 48/54 and the rest stay.
// severity in [0, 1] interpolates linearly from the control (0: identical) to the full transfer.
Landmarks lip_transform_v2_landmarks(const Landmarks& control, const Landmarks& lip_template, double severity);

// The warp itself is facenorm.lipsynth's job (Python): it picks the mesh points and guards
// against folds before calling piecewise_affine_warp.

}  // namespace facenorm
