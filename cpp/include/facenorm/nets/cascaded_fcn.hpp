// The two-stage cascaded FCN landmarker of the AFLFP paper (Xia et al., section IV, Table 1):
// a grayscale face crop -> one heatmap per landmark, refined by a second FCN that sees the image
// stacked with the first stage's heatmaps; both stages trained together on the sum of their
// squared errors (eq. 2). Landmarks are the mean position of each heatmap's largest responses.
#pragma once

#include <functional>
#include <utility>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include "facenorm/nets/onednn_conv.hpp"

namespace facenorm {

// One stage: VGG-FCN blocks B1-B5 (2, 2, 3, 3, 3 3x3 convolutions, each block ending in a 2x2
// max-pool), B6 (3x3 then 1x1 convolution), and Table 1's decoder read as FCN-8s [40]: B7
// deconvolves B6 4x to 68 maps at 1/8, B8 scores B3's pooled features (1x1, at 1/8), B9
// deconvolves B4's pooled features 2x to 68 maps at 1/8; their sum goes up 8x to the input
// size by B10, FCN's final bilinear upsampling (its deconvolution is bilinear and frozen).
// widths: channels of B1-B5 and B6. Table 1 is {64, 128, 256, 512, 512, 4096}; the default
// landmarker divides them by 8 to train and run on two CPU cores (docs/palsy.md).
struct FcnWidths {
  int64_t b1 = 64, b2 = 128, b3 = 256, b4 = 512, b5 = 512, b6 = 4096;
  static FcnWidths divided_by(int64_t divisor);
};

// A transposed convolution whose kernel equals its stride f (B7, B9) writes non-overlapping
// f x f blocks: it is exactly a 1x1 convolution to out * f^2 channels and a pixel shuffle, which is
// what this runs (on oneDNN, with the module's own weights). libtorch 1.13 runs the transposed
// form on its slow reference kernel: half the network's time at batch 1.
torch::Tensor block_upsample(const torch::nn::ConvTranspose2d& up, const torch::Tensor& x);

class LandmarkFcnImpl : public torch::nn::Module {
 public:
  LandmarkFcnImpl(int64_t in_channels, int64_t points, FcnWidths widths);
  // x: (N, in_channels, H, W) float32, H and W multiples of 32 -> (N, points, H, W).
  torch::Tensor forward(const torch::Tensor& x);

  const int64_t in_channels, points;

 private:
  torch::nn::Sequential to_pool3_{nullptr}, to_pool4_{nullptr}, to_pool5_{nullptr}, b6_{nullptr};
  torch::nn::ConvTranspose2d b7_{nullptr}, b9_{nullptr};
  OneDnnConv2d b8_{nullptr};
};
TORCH_MODULE(LandmarkFcn);

class CascadedFcnImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kSide = 96;  // the paper's 96 x 96 grayscale crops

  explicit CascadedFcnImpl(int64_t points = 68, int64_t width_divisor = 8);
  // gray: (N, 1, 96, 96) float32 in [0, 1] -> (stage 1 heatmaps, stage 2 heatmaps), each
  // (N, points, 96, 96).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& gray);

  const int64_t points, width_divisor;

 private:
  LandmarkFcn stage1_{nullptr}, stage2_{nullptr};
};
TORCH_MODULE(CascadedFcn);

// Target heatmaps (eq. 1 without the 1/(2 pi sigma^2) factor, so every peak is 1 and the loss
// scale does not depend on sigma): points (N, P, 2) pixel (x, y) in the crop, pixel centres at
// integers -> (N, P, side, side) float32.
torch::Tensor landmark_heatmaps(const torch::Tensor& points, int64_t side, double sigma = 5.0);

// Landmarks from heatmaps (N, P, H, W): the mean (x, y) of each map's top_k largest responses
// (the paper's decoding); weighted = true weights them by response minus the k-th largest,
// which is about 10x more precise on clean peaks. -> (N, P, 2) float32.
torch::Tensor heatmap_landmarks(const torch::Tensor& heatmaps, int64_t top_k = 25, bool weighted = false);

// Eq. 2: for each stage, squared error summed over pixels and averaged over landmarks and
// images; the two stages' terms added.
torch::Tensor cascaded_fcn_loss(const torch::Tensor& stage1, const torch::Tensor& stage2, const torch::Tensor& targets);

// One seeded pass over crops (N, 1, 96, 96) with their landmarks (N, P, 2): target heatmaps
// are made per batch (the whole set of them would not fit in memory). Returns the mean loss;
// progress(done, mean_loss_so_far) after every batch.
using FcnProgress = std::function<void(int64_t, double)>;
double train_cascaded_fcn_epoch(CascadedFcnImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& crops,
                                const torch::Tensor& points, int64_t batch_size, uint64_t seed, double sigma = 5.0,
                                const FcnProgress& progress = {});

}  // namespace facenorm
