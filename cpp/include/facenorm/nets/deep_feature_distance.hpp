// An LPIPS-like perceptual distance map without learned layer weights: how differently a
// pretrained CNN sees two images at each position. Built from torch ops only, so it is
// differentiable (usable as a perceptual loss) as well as an anomaly heatmap.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "facenorm/nets/dlib_resnet.hpp"

namespace facenorm {

// For each named layer ("stem", "stage1", ...): unit-normalize the feature vector at every
// position across channels (x / (|x| + 1e-10), as LPIPS), square the difference of the two
// images' vectors, average over channels, upsample bilinearly to the input size
// (align_corners=false); then average over the layers.
// x, y: float RGB (N, 3, H, W) in 0-255 pixel scale, same shape. Returns (N, 1, H, W).
torch::Tensor deep_feature_distance(DlibResNetImpl& net, const torch::Tensor& x, const torch::Tensor& y,
                                    const std::vector<std::string>& layers);

// The per-position unit normalization used above; finite gradients even for all-zero vectors.
torch::Tensor unit_normalize_channels(const torch::Tensor& features, double eps = 1e-10);

}  // namespace facenorm
