// dlib's ResNets as ordinary libtorch modules: autograd flows through them, so they serve as
// frozen perceptual-feature extractors and as trainable backbones. The weights come from dlib's
// own model files (the only pretrained backbones available offline), read by dlib itself.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "facenorm/nets/dlib_resnet_weights.hpp"
#include "facenorm/nets/onednn_conv.hpp"

namespace facenorm {

// dlib's affine layer: y = gamma * x + beta per channel (its batch norm, folded for inference).
class ChannelAffineImpl : public torch::nn::Module {
 public:
  explicit ChannelAffineImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor gamma, beta;
};
TORCH_MODULE(ChannelAffine);

// dlib's ares / ares_down: relu(affine(conv(relu(affine(conv(x))))) + shortcut(x)), where the
// shortcut of a downsampling block is a 2x2 average pool and the sum zero-pads the smaller
// tensor (more channels after widening; one row/column more from the pool on even sizes).
class DlibResidualBlockImpl : public torch::nn::Module {
 public:
  DlibResidualBlockImpl(int64_t in_channels, int64_t channels, bool downsample);
  torch::Tensor forward(const torch::Tensor& x);
  OneDnnConv2d conv1{nullptr}, conv2{nullptr};
  ChannelAffine affine1{nullptr}, affine2{nullptr};
  bool downsample;
};
TORCH_MODULE(DlibResidualBlock);

class DlibResNetImpl : public torch::nn::Module {
 public:
  explicit DlibResNetImpl(DlibResNetSpec spec);

  // Float RGB (N, 3, H, W) in 0-255 pixel scale; dlib's (x - mean) / 256 is applied inside.
  // Returns the final layer: class logits (ImageNet) or the descriptor (face), (N, outputs).
  torch::Tensor forward(const torch::Tensor& rgb);

  // Activations after the stem's relu and after each stage ("stem", "stage1", ...), stopping
  // after the first `count` of them (all when count < 0).
  std::vector<torch::Tensor> features(const torch::Tensor& rgb, int64_t count = -1);
  std::vector<std::string> feature_names() const;

  // The same network in finer steps (the lip classifier's blocks): dlib's input normalization,
  // the stem (convolution, affine, relu, 3x3 max pool), then each residual block in order.
  torch::Tensor normalize(const torch::Tensor& rgb) const;
  torch::Tensor stem(const torch::Tensor& normalized);
  std::vector<DlibResidualBlock> residual_blocks() const;
  OneDnnConv2d stem_convolution() const { return stem_conv; }
  ChannelAffine stem_channel_affine() const { return stem_affine; }
  torch::nn::Linear fully_connected() const { return fc; }

  // Global average pool + fully connected layer on the last stage's activations.
  torch::Tensor head(const torch::Tensor& last_stage);

  // Copies a file's parameters in; ModelError when they do not fit this architecture.
  void load_weights(const DlibResNetWeights& w);

  const DlibResNetSpec& spec() const { return spec_; }
  const std::vector<std::string>& labels() const { return labels_; }
  int64_t min_input_side() const { return min_input_side_; }

  torch::Tensor mean_rgb;  // buffer (1, 3, 1, 1)

 private:
  DlibResNetSpec spec_;
  OneDnnConv2d stem_conv{nullptr};
  ChannelAffine stem_affine{nullptr};
  std::vector<torch::nn::ModuleList> stages_;
  torch::nn::Linear fc{nullptr};
  std::vector<std::string> labels_;
  int64_t min_input_side_ = 0;
};
TORCH_MODULE(DlibResNet);

// Builds the module and fills it from the file (read by dlib). The parameters are frozen
// (requires_grad false) because the common use is a fixed feature extractor; gradients still
// flow to the input. Call requires_grad_(true) on the parameters to fine-tune.
DlibResNet load_dlib_resnet34(const std::string& path);
DlibResNet load_dlib_face_resnet(const std::string& path);

}  // namespace facenorm
