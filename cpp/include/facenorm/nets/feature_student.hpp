// The student of the appraisal's knowledge distillation (JBHI 2025): a small network trained on
// normal faces only to reproduce the frozen ResNet-34 teacher's multi-scale embedding of the
// canonical 224 crop (the same 27 x 27 grid and channels as PaDiM). Where a face is unlike the
// normal faces it learned from, student and teacher disagree: that discrepancy is the map.
#pragma once

#include <functional>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

namespace facenorm {

class FeatureStudentImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kInput = 224, kGrid = 27;

  // out_channels: the teacher embedding's channels; width: the first stage's channels (doubled twice).
  explicit FeatureStudentImpl(int64_t out_channels = 100, int64_t width = 32);

  // Float RGB (N, 3, 224, 224) in [0, 1] -> the predicted (standardized) embedding (N, out_channels, 27, 27).
  torch::Tensor forward(const torch::Tensor& x);

  const int64_t out_channels, width;

 private:
  torch::nn::Sequential body_{nullptr};
};
TORCH_MODULE(FeatureStudent);

// One seeded pass: crops uint8 (N, 224, 224, 3) RGB, targets (N, C, 27, 27) of any float type
// (the teacher's standardized embedding); Adam on the mean squared error. progress(done, mean loss).
double train_student_epoch(FeatureStudentImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& crops,
                           const torch::Tensor& targets, int64_t batch_size, uint64_t seed,
                           const std::function<void(int64_t, double)>& progress = {});

// uint8 (N, H, W, 3) RGB -> float32 (N, 3, H, W) in [0, 1].
torch::Tensor rgb8_to_unit(const torch::Tensor& images);

}  // namespace facenorm
