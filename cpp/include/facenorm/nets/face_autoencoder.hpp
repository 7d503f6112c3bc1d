// The learned normalization of the ICMI 2024 paper (section 3.2), with networks trained here on
// normal faces instead of InsightFace + CodeFormer: stage 1 compresses an aligned face through a
// narrow bottleneck and decodes it (what normal faces do not contain does not survive), stage 2
// restores full-resolution detail from the degraded reconstruction and the original's coarse
// structure.
#pragma once

#include <functional>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

namespace facenorm {

class FaceAutoencoderImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kSide = 128;  // input and output side (the paper's 128 x 128)

  // channels: width of the first encoder stage (doubled at each of 4 stages);
  // bottleneck: length of the code, the compression.
  explicit FaceAutoencoderImpl(int64_t channels = 32, int64_t bottleneck = 128);

  // Float RGB (N, 3, 128, 128) in [0, 1] -> its reconstruction, same shape and range.
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor encode(const torch::Tensor& x);     // -> (N, bottleneck)
  torch::Tensor decode(const torch::Tensor& code);  // -> (N, 3, 128, 128)

  const int64_t channels, bottleneck;

 private:
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
  torch::nn::Linear to_code_{nullptr}, from_code_{nullptr};
};
TORCH_MODULE(FaceAutoencoder);

class FaceRestorationImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kShuffle = 2;                  // the U-Net runs at 1/kShuffle resolution
  static constexpr int64_t kMultiple = 4 * kShuffle;      // H and W must be multiples of this

  // A small U-Net (two downsamplings below half resolution) predicting a residual on the
  // degraded image.
  explicit FaceRestorationImpl(int64_t channels = 32);

  // degraded: the stage-1 reconstruction upsampled to (N, 3, H, W); structure: the original's
  // coarse structure at the same size (see coarse_structure); both in [0, 1], H and W multiples
  // of kMultiple (8). Returns the restored face (N, 3, H, W) in [0, 1].
  torch::Tensor forward(const torch::Tensor& degraded, const torch::Tensor& structure);

  const int64_t channels;

 private:
  torch::nn::Sequential in_{nullptr}, down1_{nullptr}, down2_{nullptr}, up2_{nullptr}, up1_{nullptr},
      out_{nullptr};
};
TORCH_MODULE(FaceRestoration);

// The original's coarse structure: area-downsampled by `factor` and upsampled back (bilinear),
// so the restoration gets the face's layout and colours but no detail in which an anomaly could
// survive. x: (N, 3, H, W) in [0, 1].
torch::Tensor coarse_structure(const torch::Tensor& x, int64_t factor = 8);

// One pass over the data in seeded random order, Adam steps on the L1 loss.
// Stage 1: inputs = targets = the faces (N, 3, 128, 128). Stage 2: inputs (degraded, structure),
// targets the original faces. progress(done, mean_loss_so_far) after every batch. Returns the
// epoch's mean loss.
using TrainingProgress = std::function<void(int64_t, double)>;
double train_autoencoder_epoch(FaceAutoencoderImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& faces,
                               int64_t batch_size, uint64_t seed, const TrainingProgress& progress = {});
double train_restoration_epoch(FaceRestorationImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& degraded,
                               const torch::Tensor& structure, const torch::Tensor& targets, int64_t batch_size,
                               uint64_t seed, const TrainingProgress& progress = {});

}  // namespace facenorm
