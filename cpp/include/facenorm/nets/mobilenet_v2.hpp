// MobileNetV2 (Sandler et al. 2018) with torchvision's exact module tree and parameter names
// (features.<i>..., classifier.1), so a torchvision state dict loads name for name. Width 1.0,
// 1280-D pooled embedding. Convolutions run through oneDNN (see onednn_conv.hpp).
#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "facenorm/nets/lip_backbone.hpp"
#include "facenorm/nets/onednn_conv.hpp"

namespace facenorm {

// torchvision's Conv2dNormActivation: "0" convolution (no bias), "1" batch norm, then ReLU6.
class ConvBnRelu6Impl : public torch::nn::Module {
 public:
  ConvBnRelu6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);
  std::vector<std::shared_ptr<torch::nn::Module>> layers();
  OneDnnConv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBnRelu6);

// torchvision's InvertedResidual: `conv` holds [expand 1x1 (t > 1)], depthwise 3x3, project 1x1, bn.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio);
  torch::Tensor forward(const torch::Tensor& x);
  std::vector<std::shared_ptr<torch::nn::Module>> layers();
  torch::nn::ModuleList conv;
  bool use_residual;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public LipBackboneImpl {
 public:
  explicit MobileNetV2Impl(int64_t num_classes = 1000);

  std::string kind() const override { return "mobilenet_v2"; }
  int64_t embedding_size() const override { return 1280; }
  int64_t block_count() const override { return static_cast<int64_t>(features->size()); }
  // torchvision's ImageNet normalization: (x / 255 - mean) / std.
  torch::Tensor prepare(const torch::Tensor& rgb255) override;
  torch::Tensor run_block(int64_t block, const torch::Tensor& x) override;
  std::vector<std::shared_ptr<torch::nn::Module>> block_layers(int64_t block) override;

  // torchvision's forward on already-normalized input: ImageNet logits (N, num_classes).
  torch::Tensor forward(const torch::Tensor& normalized);

  torch::nn::ModuleList features, classifier;
};
TORCH_MODULE(MobileNetV2);

}  // namespace facenorm
