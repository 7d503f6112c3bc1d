// MobileNetV2 as torchvision 0.14 builds it (torchvision/models/mobilenetv2.py), width 1.0.
#include "facenorm/nets/mobilenet_v2.hpp"

#include <torch/torch.h>

#include "facenorm/errors.hpp"

namespace facenorm {

namespace {

// In place, as torchvision's ReLU6(inplace=True): the batch norm's output is a fresh tensor, and an
// out-of-place clamp cost 12% of the forward pass.
torch::Tensor clamp_relu6(torch::Tensor x) { return torch::hardtanh_(x, 0.0, 6.0); }

OneDnnConv2d conv_no_bias(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups) {
  return OneDnnConv2d(torch::nn::Conv2dOptions(in, out, kernel)
                          .stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false));
}

// (expand ratio t, output channels c, repeats n, first stride s) of the paper's Table 2.
struct Stage {
  int64_t t, c, n, s;
};
constexpr Stage kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                             {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

}  // namespace

ConvBnRelu6Impl::ConvBnRelu6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups) {
  conv = register_module("0", conv_no_bias(in, out, kernel, stride, groups));
  bn = register_module("1", torch::nn::BatchNorm2d(out));
}

torch::Tensor ConvBnRelu6Impl::forward(const torch::Tensor& x) { return clamp_relu6(bn(conv(x))); }

std::vector<std::shared_ptr<torch::nn::Module>> ConvBnRelu6Impl::layers() {
  return {conv.ptr(), bn.ptr(), nullptr};
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio)
    : use_residual(stride == 1 && in == out) {
  const int64_t hidden = in * expand_ratio;
  if (expand_ratio != 1) conv->push_back(ConvBnRelu6(in, hidden, 1, 1, 1));
  conv->push_back(ConvBnRelu6(hidden, hidden, 3, stride, hidden));
  conv->push_back(conv_no_bias(hidden, out, 1, 1, 1));
  conv->push_back(torch::nn::BatchNorm2d(out));
  register_module("conv", conv);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x;
  const size_t n = conv->size();
  for (size_t i = 0; i + 2 < n; ++i) y = conv[i]->as<ConvBnRelu6>()->forward(y);
  y = conv[n - 1]->as<torch::nn::BatchNorm2d>()->forward(conv[n - 2]->as<OneDnnConv2d>()->forward(y));
  return use_residual ? x + y : y;
}

std::vector<std::shared_ptr<torch::nn::Module>> InvertedResidualImpl::layers() {
  std::vector<std::shared_ptr<torch::nn::Module>> out;
  const size_t n = conv->size();
  for (size_t i = 0; i + 2 < n; ++i)
    for (auto& l : conv[i]->as<ConvBnRelu6>()->layers()) out.push_back(l);
  out.push_back(conv[n - 2]);
  out.push_back(conv[n - 1]);
  return out;
}

MobileNetV2Impl::MobileNetV2Impl(int64_t num_classes) {
  int64_t channels = 32;
  features->push_back(ConvBnRelu6(3, channels, 3, 2, 1));
  for (const Stage& st : kStages)
    for (int64_t i = 0; i < st.n; ++i) {
      features->push_back(InvertedResidual(channels, st.c, i == 0 ? st.s : 1, st.t));
      channels = st.c;
    }
  features->push_back(ConvBnRelu6(channels, 1280, 1, 1, 1));
  register_module("features", features);
  classifier->push_back(torch::nn::Dropout(0.2));
  classifier->push_back(torch::nn::Linear(1280, num_classes));
  register_module("classifier", classifier);
  // torchvision's initialization: Kaiming (fan out) convolutions, unit batch norms, N(0, 0.01) linear.
  torch::NoGradGuard no_grad;
  for (auto& m : modules(false)) {
    if (auto* c = m->as<OneDnnConv2d>()) torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
    if (auto* l = m->as<torch::nn::Linear>()) {
      torch::nn::init::normal_(l->weight, 0.0, 0.01);
      torch::nn::init::zeros_(l->bias);
    }
  }
}

torch::Tensor MobileNetV2Impl::prepare(const torch::Tensor& rgb255) {
  auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}) * 255.0f;
  auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1}) * 255.0f;
  return (rgb255 - mean) / std;
}

torch::Tensor MobileNetV2Impl::run_block(int64_t block, const torch::Tensor& x) {
  auto m = features[block];
  if (auto* b = m->as<InvertedResidual>()) return b->forward(x);
  return m->as<ConvBnRelu6>()->forward(x);
}

std::vector<std::shared_ptr<torch::nn::Module>> MobileNetV2Impl::block_layers(int64_t block) {
  auto m = features[block];
  if (auto* b = m->as<InvertedResidual>()) return b->layers();
  return m->as<ConvBnRelu6>()->layers();
}

torch::Tensor MobileNetV2Impl::forward(const torch::Tensor& normalized) {
  torch::Tensor pooled = run_blocks(normalized, 0).mean({2, 3});
  return classifier[1]->as<torch::nn::Linear>()->forward(classifier[0]->as<torch::nn::Dropout>()->forward(pooled));
}

}  // namespace facenorm
