#include "facenorm/nets/palsy_parsing.hpp"

#include <cmath>

#include <torch/nn/functional.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>

#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

namespace nn = torch::nn;
namespace Fn = torch::nn::functional;

void add_cbr(nn::Sequential& s, int64_t in, int64_t out, int64_t kernel = 3, int64_t stride = 1, int64_t dilation = 1) {
  s->push_back(OneDnnConv2d(nn::Conv2dOptions(in, out, kernel)
                                .stride(stride)
                                .padding(dilation * (kernel / 2))
                                .dilation(dilation)
                                .bias(false)));
  s->push_back(nn::BatchNorm2d(out));
  s->push_back(nn::ReLU());
}

torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w) {
  return Fn::interpolate(x, Fn::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{h, w})
                                .mode(torch::kBilinear)
                                .align_corners(false));
}

}  // namespace

EscBlockImpl::EscBlockImpl(int64_t c, int64_t reduction) {
  nn::Sequential squeeze;
  add_cbr(squeeze, c, c, 1);
  squeeze_ = register_module("squeeze", squeeze);
  const int64_t hidden = std::max<int64_t>(4, c / reduction);
  fc1_ = register_module("fc1", nn::Linear(c, hidden));
  fc2_ = register_module("fc2", nn::Linear(hidden, hidden));
  fc3_ = register_module("fc3", nn::Linear(hidden, c));
}

torch::Tensor EscBlockImpl::forward(const torch::Tensor& x) {
  auto s = Fn::adaptive_avg_pool2d(squeeze_->forward(x), Fn::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
  auto gate = torch::sigmoid(fc3_->forward(torch::relu(fc2_->forward(torch::relu(fc1_->forward(s))))));
  return x * gate.view({x.size(0), x.size(1), 1, 1});  // the 1x1 gate upsampled (broadcast)
}

PalsyParsingNetImpl::PalsyParsingNetImpl(int64_t classes_, int64_t channels_, int64_t attention_dim_,
                                         int64_t attention_side_)
    : classes(classes_), channels(channels_), attention_dim(attention_dim_), attention_side(attention_side_) {
  if (classes < 2 || channels < 4 || attention_dim < 4 || attention_side < 4)
    throw InputError("PalsyParsingNet: expected classes >= 2, channels >= 4, attention_dim >= 4, attention_side >= 4");
  const int64_t c = channels, d = attention_dim;
  nn::Sequential stem, s1, s2, s3, s4;
  add_cbr(stem, 3, c, 3, 2);                                   // 1/2
  add_cbr(s1, c, c), add_cbr(s1, c, c);                        // 1/2
  add_cbr(s2, c, 2 * c, 3, 2), add_cbr(s2, 2 * c, 2 * c);      // 1/4
  add_cbr(s3, 2 * c, 4 * c, 3, 2), add_cbr(s3, 4 * c, 4 * c);  // 1/8
  add_cbr(s4, 4 * c, 8 * c, 3, 2), add_cbr(s4, 8 * c, 8 * c);  // 1/16
  stem_ = register_module("stem", stem);
  stage1_ = register_module("stage1", s1), stage2_ = register_module("stage2", s2);
  stage3_ = register_module("stage3", s3), stage4_ = register_module("stage4", s4);
  esc1_ = register_module("esc1", EscBlock(c)), esc2_ = register_module("esc2", EscBlock(2 * c));
  esc3_ = register_module("esc3", EscBlock(4 * c)), esc4_ = register_module("esc4", EscBlock(8 * c));
  // ASPP in the last stage: 1x1 and three dilated 3x3 branches, plus image pooling
  const int64_t dilations[] = {1, 2, 4, 6};
  for (int i = 0; i < 4; ++i) {
    nn::Sequential branch;
    add_cbr(branch, 8 * c, 2 * c, i ? 3 : 1, 1, dilations[i]);
    aspp_.push_back(register_module("aspp" + std::to_string(i), branch));
  }
  nn::Sequential pool, merge, up3, up2, up1;
  add_cbr(pool, 8 * c, 2 * c, 1);
  add_cbr(merge, 10 * c, 8 * c, 1);
  add_cbr(up3, 8 * c + 4 * c, 4 * c);
  add_cbr(up2, 4 * c + 2 * c, 2 * c);
  add_cbr(up1, 2 * c + c, 2 * c);
  aspp_pool_ = register_module("aspp_pool", pool);
  aspp_merge_ = register_module("aspp_merge", merge);
  up3_ = register_module("up3", up3), up2_ = register_module("up2", up2), up1_ = register_module("up1", up1);
  coarse_head_ = register_module("coarse_head", OneDnnConv2d(nn::Conv2dOptions(2 * c, classes, 1)));
  pixel_embed_ = register_module("pixel_embed", OneDnnConv2d(nn::Conv2dOptions(2 * c, d, 1)));
  depth_embed_ = register_module("depth_embed", OneDnnConv2d(nn::Conv2dOptions(2 * c, 8, 1)));
  queries_ = register_parameter("queries", torch::randn({classes, d}) * 0.02);
  to_q_ = register_module("to_q", nn::Linear(d, d)), to_k_ = register_module("to_k", nn::Linear(d, d));
  to_v_ = register_module("to_v", nn::Linear(d, d));
  ffn1_ = register_module("ffn1", nn::Linear(d, 2 * d)), ffn2_ = register_module("ffn2", nn::Linear(2 * d, d));
  norm1_ = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({d})));
  norm2_ = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({d})));
  mask_embed_ = register_module("mask_embed", nn::Linear(d, d));
  depth_kernels_ = register_module("depth_kernels", nn::Linear(d, 8));        // D^m: one kernel per category
  depth_range_shift_ = register_module("depth_range_shift", nn::Linear(d, 2));  // m^r, m^s per category
}

torch::Tensor PalsyParsingNetImpl::attend(const torch::Tensor& tokens, const torch::Tensor& coarse_small) {
  // eq. 5: attention only where the category's predicted mask (probability > 0.5) is; a category
  // with no such pixel attends everywhere (else its softmax row would be empty)
  const int64_t n = tokens.size(0);
  auto fg = (torch::softmax(coarse_small, 1) > 0.5).flatten(2);            // (N, K, L)
  auto empty = fg.logical_not().all(-1, true);
  auto bias = torch::where(fg.logical_or(empty), torch::zeros({}, tokens.options()),
                           torch::full({}, -std::numeric_limits<float>::infinity(), tokens.options()));
  auto query = queries_.unsqueeze(0).expand({n, classes, attention_dim});
  auto scores = torch::matmul(to_q_->forward(query), to_k_->forward(tokens).transpose(1, 2)) /
                std::sqrt(double(attention_dim));
  // eq. 4: I_c = softmax(F_c + R_c K_c) T_c + I_{c-1}, then a feed-forward step (both residual)
  auto attended = norm1_->forward(torch::matmul(torch::softmax(scores + bias, -1), to_v_->forward(tokens)) + query);
  return norm2_->forward(ffn2_->forward(torch::relu(ffn1_->forward(attended))) + attended);
}

ParsingOutput PalsyParsingNetImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.scalar_type() != torch::kFloat32)
    throw InputError("PalsyParsingNet: expected a float32 RGB (N, 3, H, W) tensor in [0, 1]");
  if (x.size(2) % 32 || x.size(3) % 32)
    throw InputError("PalsyParsingNet: expected H and W multiples of 32, got " + std::to_string(x.size(2)) + " x " +
                     std::to_string(x.size(3)));
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  auto f1 = esc1_->forward(stage1_->forward(stem_->forward(x * 2 - 1)));
  auto f2 = esc2_->forward(stage2_->forward(f1));
  auto f3 = esc3_->forward(stage3_->forward(f2));
  auto f4 = stage4_->forward(f3);
  std::vector<torch::Tensor> branches;
  for (auto& b : aspp_) branches.push_back(b->forward(f4));
  auto pooled = aspp_pool_->forward(Fn::adaptive_avg_pool2d(f4, Fn::AdaptiveAvgPool2dFuncOptions(1)));
  branches.push_back(pooled.expand({n, pooled.size(1), f4.size(2), f4.size(3)}));
  f4 = esc4_->forward(aspp_merge_->forward(torch::cat(branches, 1)));
  auto d3 = up3_->forward(torch::cat({resize(f4, f3.size(2), f3.size(3)), f3}, 1));
  auto d2 = up2_->forward(torch::cat({resize(d3, f2.size(2), f2.size(3)), f2}, 1));
  auto d1 = up1_->forward(torch::cat({resize(d2, f1.size(2), f1.size(3)), f1}, 1));  // 1/2 resolution

  auto coarse = coarse_head_->forward(d1);
  auto pixels = pixel_embed_->forward(d1);                                        // (N, d, h/2, w/2)
  const int64_t s = attention_side;
  auto tokens = resize(pixels, s, s).flatten(2).transpose(1, 2);                 // (N, L, d)
  auto categories = attend(tokens, resize(coarse, s, s));                        // (N, K, d)
  auto refined = torch::einsum("nkd,ndhw->nkhw", {mask_embed_->forward(categories), pixels}) + coarse;

  // eqs. 1-3: per-category depth kernels on a shared depth embedding, scaled by the category's
  // range and shift, combined by the segmentation
  auto embedding = depth_embed_->forward(d1);                                     // (N, 8, h/2, w/2)
  auto adjusted = torch::sigmoid(torch::einsum("nke,nehw->nkhw", {depth_kernels_->forward(categories), embedding}));
  auto range_shift = depth_range_shift_->forward(categories);                     // (N, K, 2)
  auto per_category = kDepthMax * ((adjusted - 0.5) * range_shift.select(2, 0).unsqueeze(-1).unsqueeze(-1) +
                                   range_shift.select(2, 1).unsqueeze(-1).unsqueeze(-1));
  auto depth = (torch::softmax(refined, 1) * per_category).sum(1, true);
  return {resize(refined, h, w), resize(coarse, h, w), resize(depth, h, w)};
}

}  // namespace facenorm
