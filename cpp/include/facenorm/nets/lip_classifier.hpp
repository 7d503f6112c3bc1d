// The ICMI 2024 lip-abnormality classifiers (§3.3): the Siamese network (one shared backbone on
// the original and on the normalized lip crop, embeddings concatenated, reduced to 256, then a
// 2-way classifier) and the single-branch baseline (embedding -> 256 -> 2). Class 1 = abnormal.
#pragma once

#include <functional>
#include <memory>
#include <tuple>

#include <torch/nn/modules/linear.h>
#include <torch/optim/optimizer.h>

#include "facenorm/nets/lip_backbone.hpp"

namespace facenorm {

class LipClassifierImpl : public torch::nn::Module {
 public:
  LipClassifierImpl(std::shared_ptr<LipBackboneImpl> backbone, bool siamese, int64_t hidden = 256);

  // Logits (N, 2). Inputs are float RGB (N, 3, S, S) in 0-255 when from_block is 0, else the
  // backbone's activations entering block from_block (cached features). The baseline ignores
  // `normalized` (pass an undefined tensor).
  torch::Tensor forward(const torch::Tensor& original, const torch::Tensor& normalized, int64_t from_block = 0);

  // Class activation maps (Zhou et al. 2016) generalized exactly to the two-layer head: the head
  // is piecewise linear, so at the input's relu pattern the abnormal-minus-normal logit is
  // sum_b sum_k w_bk * mean_xy F_bk(x, y) + c, and the CAM of branch b is sum_k w_bk F_bk(x, y).
  // Returns (logits (N, 2), maps (N, branches, h, w)) on images (from_block 0).
  std::tuple<torch::Tensor, torch::Tensor> class_activation_maps(const torch::Tensor& original,
                                                                 const torch::Tensor& normalized);

  // Partial fine-tuning: the last k leaf layers of the backbone and the head train, the rest is
  // frozen (k < 0: everything trains). Frozen batch norms always run in inference mode, so the
  // frozen prefix is a fixed function whose outputs can be cached.
  void set_trainable_layers(int64_t k);
  int64_t trainable_layers() const { return trainable_layers_; }
  // The first block with a trainable layer: features entering it can be cached.
  int64_t cache_block() const { return cache_block_; }
  void train(bool on = true) override;

  int64_t branches() const { return siamese_ ? 2 : 1; }
  bool siamese() const { return siamese_; }

  std::shared_ptr<LipBackboneImpl> backbone;
  torch::nn::Linear reduce{nullptr}, classify{nullptr};

 private:
  torch::Tensor features(const torch::Tensor& x, int64_t from_block, int64_t to_block = -1);
  torch::Tensor head(const torch::Tensor& pooled);

  bool siamese_;
  int64_t trainable_layers_ = -1;
  int64_t cache_block_ = 0;
  std::vector<std::shared_ptr<torch::nn::Module>> frozen_layers_;
};
TORCH_MODULE(LipClassifier);

// Training data: images uint8 (N, S, S, 3) RGB, or cached features float16 (N, V, C, h, w)
// entering the classifier's cache_block(), where V = 1, or 2 with [1] = of the mirrored crop.
// `normalized` is undefined for the baseline. Labels int64 (N,) in {0, 1}.
struct LipBatchSource {
  torch::Tensor original, normalized, labels;
};

using LipProgress = std::function<void(int64_t, double)>;

// One seeded pass (Adam or any optimizer over the classifier's parameters) with cross-entropy;
// with mirror_augment each pair is mirrored (both crops alike) with probability 1/2.
double train_lip_classifier_epoch(LipClassifierImpl& net, torch::optim::Optimizer& optimizer,
                                  const LipBatchSource& data, int64_t batch_size, uint64_t seed,
                                  bool mirror_augment, const LipProgress& progress = {});

struct LipEvaluation {
  double loss = 0;          // mean cross-entropy
  int64_t correct = 0;      // argmax == label
  torch::Tensor p_abnormal; // (N,) softmax probability of class 1
};
LipEvaluation evaluate_lip_classifier(LipClassifierImpl& net, const LipBatchSource& data, int64_t batch_size = 32);

// The frozen prefix's outputs for images uint8 (N, S, S, 3): float16 (N, C, h, w) entering
// cache_block(), of the mirrored images when `mirrored`.
torch::Tensor lip_cache_features(LipClassifierImpl& net, const torch::Tensor& images, bool mirrored,
                                 int64_t batch_size = 32);

}  // namespace facenorm
