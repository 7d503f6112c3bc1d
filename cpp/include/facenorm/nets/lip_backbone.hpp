// The backbone of the lip-abnormality classifier (ICMI 2024 §3.3), cut into blocks so that the
// classifier can freeze a prefix (partial fine-tuning) and start from features cached at a
// block boundary. Its "layers" are counted the way the paper counts MobileNetV2's 156: every
// leaf layer in forward order, parameter-free ones (ReLU6, pooling) included, so K means the
// same thing here as there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

namespace facenorm {

class LipBackboneImpl : public torch::nn::Module {
 public:
  ~LipBackboneImpl() override = default;

  virtual std::string kind() const = 0;           // "mobilenet_v2", "simple_cnn", "resnet34", ...
  virtual int64_t embedding_size() const = 0;      // channels of the last block = pooled embedding
  virtual int64_t block_count() const = 0;
  // Float RGB (N, 3, H, W) in 0-255 -> what block 0 takes (the backbone's fixed normalization).
  virtual torch::Tensor prepare(const torch::Tensor& rgb255) = 0;
  virtual torch::Tensor run_block(int64_t block, const torch::Tensor& x) = 0;
  // The leaf layers of a block in forward order; nullptr stands for a parameter-free layer.
  virtual std::vector<std::shared_ptr<torch::nn::Module>> block_layers(int64_t block) = 0;

  // Blocks [from, to) on x (to < 0: to the end).
  torch::Tensor run_blocks(torch::Tensor x, int64_t from, int64_t to = -1);
  int64_t layer_count();
};

// "mobilenet_v2" (torchvision's structure), "simple_cnn" (the paper's three-block ablation),
// "resnet34" (dlib's ImageNet ResNet-34; weights_file = resnet34_1000_imagenet_classifier.dnn),
// "face_resnet" (dlib's face recognition ResNet; weights_file = its .dat). ModelError otherwise.
std::shared_ptr<LipBackboneImpl> make_lip_backbone(const std::string& kind, const std::string& weights_file = "");

}  // namespace facenorm
