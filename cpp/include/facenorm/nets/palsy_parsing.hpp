// Face parsing with a facial-paralysis-possibility (FPP) class, after the stroke/Bell's palsy
// parsing paper (section 3): an encoder whose every stage ends in an ESC block, ASPP in the last
// stage, a decoder, a coarse mask head, foreground attention (eq. 4: one query per category
// attends only over the pixels of that category's predicted mask, eq. 5) refining the masks, and
// a depth head (eqs. 1-3). Loss: cross-entropy plus the boundary-weighted term of eq. 7.
#pragma once

#include <functional>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>

#include "facenorm/nets/onednn_conv.hpp"

namespace facenorm {

// ESC (Fig. 2): 1x1 convolution, batch norm, ReLU, adaptive average pooling to 1x1, three fully
// connected layers (ReLU, ReLU, sigmoid) and bilinear upsampling of the gate to the map's size
// (a 1x1 map upsampled is a broadcast); the stage's features are multiplied by the gate.
class EscBlockImpl : public torch::nn::Module {
 public:
  explicit EscBlockImpl(int64_t channels, int64_t reduction = 4);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Sequential squeeze_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};
TORCH_MODULE(EscBlock);

struct ParsingOutput {
  torch::Tensor logits;  // (N, classes, H, W): the refined masks
  torch::Tensor coarse;  // (N, classes, H, W): the mask head before attention (also supervised)
  torch::Tensor depth;   // (N, 1, H, W): eqs. 1-3, in [m_max * (m_s - m_r / 2), ...]; trained only with depth maps
};

class PalsyParsingNetImpl : public torch::nn::Module {
 public:
  static constexpr double kDepthMax = 80.0;  // m_max of eq. 2

  // channels: the first stage's width (doubled per stage, 4 stages); attention_dim: the query
  // and key width; attention_side: the grid the attention works on (the masks are rescaled to it).
  PalsyParsingNetImpl(int64_t classes = 7, int64_t channels = 16, int64_t attention_dim = 64,
                      int64_t attention_side = 32);
  // x: RGB (N, 3, H, W) float32 in [0, 1], H and W multiples of 32.
  ParsingOutput forward(const torch::Tensor& x);

  const int64_t classes, channels, attention_dim, attention_side;

 private:
  torch::Tensor attend(const torch::Tensor& tokens, const torch::Tensor& coarse_small);

  torch::nn::Sequential stem_{nullptr}, stage1_{nullptr}, stage2_{nullptr}, stage3_{nullptr}, stage4_{nullptr};
  EscBlock esc1_{nullptr}, esc2_{nullptr}, esc3_{nullptr}, esc4_{nullptr};
  std::vector<torch::nn::Sequential> aspp_;
  torch::nn::Sequential aspp_pool_{nullptr}, aspp_merge_{nullptr};
  torch::nn::Sequential up3_{nullptr}, up2_{nullptr}, up1_{nullptr};
  OneDnnConv2d coarse_head_{nullptr}, pixel_embed_{nullptr}, depth_embed_{nullptr};
  torch::Tensor queries_;
  torch::nn::Linear to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr}, ffn1_{nullptr}, ffn2_{nullptr},
      mask_embed_{nullptr}, depth_kernels_{nullptr}, depth_range_shift_{nullptr};
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(PalsyParsingNet);

// Eq. 7: per image and per category present, the cross-entropy summed over that category's
// contour pixels (a pixel whose 3x3 neighbourhood holds another label) divided by their number,
// weighted (class_weights, empty = all 1) and averaged over images and categories.
torch::Tensor boundary_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                            const torch::Tensor& class_weights = {});

// The training loss: CE(logits) + CE(coarse) / 2 + boundary_weight * eq. 7 (+ L1 on depth where
// depth targets are given).
torch::Tensor parsing_loss(const ParsingOutput& out, const torch::Tensor& labels, double boundary_weight = 1.0,
                           const torch::Tensor& depth = {});

// Confusion matrix (classes x classes, int64; rows = truth) of label maps (N, H, W).
torch::Tensor parsing_confusion(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t classes);

// Eqs. 9-11 from a confusion matrix: per-class F1 and IoU (NaN for a class absent from both),
// mean IoU over the classes present, pixel accuracy.
struct ParsingMetrics {
  torch::Tensor f1, iou;
  double mean_iou, pixel_accuracy;
};
ParsingMetrics parsing_metrics(const torch::Tensor& confusion);

using ParsingProgress = std::function<void(int64_t, double)>;
double train_parsing_epoch(PalsyParsingNetImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& images,
                           const torch::Tensor& labels, int64_t batch_size, uint64_t seed, double boundary_weight,
                           const ParsingProgress& progress = {});

}  // namespace facenorm
