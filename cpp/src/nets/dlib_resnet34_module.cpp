// The libtorch twin of dlib's ResNets. Every shape rule follows dlib's layers (dlib/dnn/layers.h):
// con_ pads (size/2) only at stride 1, pools never pad, add_prev zero-pads the smaller tensor
// at the end of each dimension, the input layer computes (pixel - mean) / 256.
#include "facenorm/nets/dlib_resnet.hpp"

#include <torch/torch.h>

#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

namespace F = torch::nn::functional;

OneDnnConv2d dlib_conv(int64_t in, int64_t out, int64_t side, int64_t stride) {
  // dlib's con_ default: padding side/2 when the stride is 1, none otherwise.
  return OneDnnConv2d(
      torch::nn::Conv2dOptions(in, out, side).stride(stride).padding(stride == 1 ? side / 2 : 0).bias(true));
}

// dlib's tt::add(dest, a, b) as used by add_prev: the larger size in every dimension, values
// missing from one tensor counting as 0.
torch::Tensor add_zero_padded(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() == b.sizes()) return a + b;
  const int64_t c = std::max(a.size(1), b.size(1)), h = std::max(a.size(2), b.size(2)),
                w = std::max(a.size(3), b.size(3));
  auto grow = [&](const torch::Tensor& t) {
    if (t.size(1) == c && t.size(2) == h && t.size(3) == w) return t;
    return F::pad(t, F::PadFuncOptions({0, w - t.size(3), 0, h - t.size(2), 0, c - t.size(1)}));
  };
  return grow(a) + grow(b);
}

std::string shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

}  // namespace

ChannelAffineImpl::ChannelAffineImpl(int64_t channels) {
  gamma = register_parameter("gamma", torch::ones({channels}));
  beta = register_parameter("beta", torch::zeros({channels}));
}

torch::Tensor ChannelAffineImpl::forward(const torch::Tensor& x) {
  return torch::addcmul(beta.view({1, -1, 1, 1}), x, gamma.view({1, -1, 1, 1}));
}

DlibResidualBlockImpl::DlibResidualBlockImpl(int64_t in_channels, int64_t channels, bool downsample_)
    : downsample(downsample_) {
  conv1 = register_module("conv1", dlib_conv(in_channels, channels, 3, downsample ? 2 : 1));
  affine1 = register_module("affine1", ChannelAffine(channels));
  conv2 = register_module("conv2", dlib_conv(channels, channels, 3, 1));
  affine2 = register_module("affine2", ChannelAffine(channels));
}

torch::Tensor DlibResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = affine2(conv2(torch::relu(affine1(conv1(x)))));
  torch::Tensor shortcut = downsample ? F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2)) : x;
  return torch::relu(add_zero_padded(y, shortcut));
}

DlibResNetImpl::DlibResNetImpl(DlibResNetSpec spec) : spec_(std::move(spec)) {
  mean_rgb = register_buffer("mean_rgb", torch::zeros({1, 3, 1, 1}));
  stem_conv = register_module("stem_conv", dlib_conv(3, spec_.stem_channels, 7, 2));
  stem_affine = register_module("stem_affine", ChannelAffine(spec_.stem_channels));
  int64_t channels = spec_.stem_channels;
  for (size_t i = 0; i < spec_.stages.size(); ++i) {
    const DlibResNetStage& st = spec_.stages[i];
    torch::nn::ModuleList blocks;
    for (int64_t b = 0; b < st.blocks; ++b) {
      blocks->push_back(DlibResidualBlock(channels, st.channels, b == 0 && st.downsample));
      channels = st.channels;
    }
    stages_.push_back(register_module("stage" + std::to_string(i + 1), blocks));
  }
  fc = register_module("fc", torch::nn::Linear(torch::nn::LinearOptions(channels, spec_.outputs).bias(spec_.fc_bias)));
  min_input_side_ = dlib_resnet_min_input_side(spec_);
}

std::vector<std::string> DlibResNetImpl::feature_names() const {
  std::vector<std::string> names{"stem"};
  for (size_t i = 0; i < stages_.size(); ++i) names.push_back("stage" + std::to_string(i + 1));
  return names;
}

torch::Tensor DlibResNetImpl::normalize(const torch::Tensor& rgb) const {
  if (!rgb.is_floating_point())
    throw InputTypeError(std::string("images: expected a float tensor (RGB in 0-255), got ") +
                         std::string(c10::toString(rgb.scalar_type())));
  if (rgb.dim() != 4 || rgb.size(1) != 3)
    throw InputError("images: expected shape (N, 3, H, W) RGB, got " + shape_of(rgb));
  if (rgb.size(0) < 1 || std::min(rgb.size(2), rgb.size(3)) < min_input_side_)
    throw InputError("images: " + shape_of(rgb) + " is too small for dlib's " + spec_.name + "; at least " +
                     std::to_string(min_input_side_) + "x" + std::to_string(min_input_side_) + " pixels are needed");
  // dlib's input layer: (pixel - mean) / 256, the division exact in binary floating point.
  return (rgb.to(mean_rgb.scalar_type()) - mean_rgb) / 256.0;
}

std::vector<torch::Tensor> DlibResNetImpl::features(const torch::Tensor& rgb, int64_t count) {
  const int64_t total = static_cast<int64_t>(stages_.size()) + 1;
  if (count < 0 || count > total) count = total;
  std::vector<torch::Tensor> out;
  if (count == 0) return out;
  torch::Tensor x = torch::relu(stem_affine(stem_conv(normalize(rgb))));
  out.push_back(x);
  x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
  for (int64_t s = 0; s + 1 < count; ++s) {
    for (const auto& block : *stages_[s]) x = block->as<DlibResidualBlock>()->forward(x);
    out.push_back(x);
  }
  return out;
}

torch::Tensor DlibResNetImpl::stem(const torch::Tensor& normalized) {
  torch::Tensor x = torch::relu(stem_affine(stem_conv(normalized)));
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
}

std::vector<DlibResidualBlock> DlibResNetImpl::residual_blocks() const {
  std::vector<DlibResidualBlock> out;
  for (const auto& stage : stages_)
    for (const auto& block : *stage) out.push_back(DlibResidualBlock(std::dynamic_pointer_cast<DlibResidualBlockImpl>(block)));
  return out;
}

torch::Tensor DlibResNetImpl::head(const torch::Tensor& last_stage) {
  return fc(last_stage.mean({2, 3}));
}

torch::Tensor DlibResNetImpl::forward(const torch::Tensor& rgb) {
  return head(features(rgb).back());
}

}  // namespace facenorm
