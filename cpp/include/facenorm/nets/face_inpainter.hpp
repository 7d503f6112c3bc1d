// The appraisal's inpainting network (JBHI 2025's normalization by inpainting), trained here on
// normal faces of every age with random holes on the lower face: it fills a hole in the lower-face
// window of the canonical crop with what a normal face would have there. Pixels outside the hole
// are returned exactly as given.
#pragma once

#include <functional>
#include <memory>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include "facenorm/nets/dlib_resnet.hpp"

namespace facenorm {

class FaceInpainterImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kShuffle = 2;               // the U-Net runs at half resolution
  static constexpr int64_t kMultiple = 4 * kShuffle;   // H and W must be multiples of this

  explicit FaceInpainterImpl(int64_t channels = 32);

  // image (N, 3, H, W) in [0, 1]; mask (N, 1, H, W), 1 = hole, 0 = keep -> the filled image
  // (N, 3, H, W): outside the hole, image's values exactly.
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& mask);

  const int64_t channels;

 private:
  torch::nn::Sequential in_{nullptr}, down1_{nullptr}, down2_{nullptr}, up2_{nullptr}, up1_{nullptr},
      out_{nullptr};
};
TORCH_MODULE(FaceInpainter);

// One seeded pass: windows uint8 (N, H, W, 3) RGB, holes uint8 (N, H, W) (nonzero = hole).
// Loss: L1 inside the holes, plus perceptual_weight x the L1 distance of the frozen network's
// stem and stage-1 activations (dlib's ResNet-34, pixel scale) between the filled and the true
// window, which keeps the fill sharp; no perceptual term when `perceptual` is null.
double train_inpainter_epoch(FaceInpainterImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& windows,
                             const torch::Tensor& holes, const std::shared_ptr<DlibResNetImpl>& perceptual,
                             double perceptual_weight, int64_t batch_size, uint64_t seed,
                             const std::function<void(int64_t, double)>& progress = {});

}  // namespace facenorm
