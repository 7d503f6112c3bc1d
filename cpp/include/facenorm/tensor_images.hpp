// RGB uint8 images <-> normalized NCHW float32 tensors, the input layout of every CNN in
// facenorm. Kept out of the core library: only code that runs networks pays for libtorch.
#pragma once

#include <array>

#include <torch/types.h>

namespace facenorm {

struct Normalization {
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};  // ImageNet statistics, RGB order
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};

// (N, H, W, 3) or (H, W, 3) uint8 -> (N, 3, H, W) float32, (x / 255 - mean) / std.
torch::Tensor images_to_tensor(const torch::Tensor& images_nhwc_u8, const Normalization& n = {});

// The inverse, rounded and clamped to uint8, as (N, H, W, 3).
torch::Tensor tensor_to_images(const torch::Tensor& nchw_float, const Normalization& n = {});

}  // namespace facenorm
