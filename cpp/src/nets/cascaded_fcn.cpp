#include "facenorm/nets/cascaded_fcn.hpp"

#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/pooling.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/onednn_conv.hpp"

namespace facenorm {
namespace {

namespace nn = torch::nn;

// A VGG block (libtorch cannot nest Sequentials, so layers are appended): `convs` 3x3
// convolutions, each with batch norm (as torchvision's vgg16_bn: the network trains from scratch,
// without ImageNet weights) and ReLU, then a 2x2 max-pool.
void add_vgg_block(nn::Sequential& s, int64_t in, int64_t out, int convs) {
  for (int i = 0; i < convs; ++i) {
    s->push_back(OneDnnConv2d(nn::Conv2dOptions(i ? out : in, out, 3).padding(1).bias(false)));
    s->push_back(nn::BatchNorm2d(out));
    s->push_back(nn::ReLU());
  }
  s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
}

nn::ConvTranspose2d upsampler(int64_t in, int64_t out, int64_t factor) {  // kernel = stride, as Table 1
  return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, factor).stride(factor));
}

}  // namespace

torch::Tensor block_upsample(const nn::ConvTranspose2d& up, const torch::Tensor& x) {
  const auto& w = up->weight;  // (in, out, f, f)
  const int64_t in = w.size(0), out = w.size(1), f = w.size(2);
  if (up->options.groups() != 1 || w.size(3) != f || up->options.stride()->at(0) != f ||
      up->options.stride()->at(1) != f)
    throw InputError("block_upsample: expected an ungrouped transposed convolution with a square kernel equal to its stride");
  // a 1x1 convolution to out * f^2 channels (o, i, j), then a pixel shuffle
  auto as_conv = w.permute({1, 2, 3, 0}).reshape({out * f * f, in, 1, 1});
  return torch::pixel_shuffle(onednn_conv2d(x, as_conv, up->bias.repeat_interleave(f * f), {0, 0}, {1, 1}, 1), f);
}

FcnWidths FcnWidths::divided_by(int64_t divisor) {
  if (divisor < 1) throw InputError("FCN width divisor: expected >= 1, got " + std::to_string(divisor));
  FcnWidths w;
  for (int64_t* c : {&w.b1, &w.b2, &w.b3, &w.b4, &w.b5, &w.b6}) *c = std::max<int64_t>(1, *c / divisor);
  return w;
}

LandmarkFcnImpl::LandmarkFcnImpl(int64_t in_channels_, int64_t points_, FcnWidths w)
    : in_channels(in_channels_), points(points_) {
  if (in_channels < 1 || points < 1) throw InputError("LandmarkFcn: in_channels and points must be >= 1");
  nn::Sequential to_pool3, to_pool4, to_pool5, b6;
  add_vgg_block(to_pool3, in_channels, w.b1, 2);  // B1
  add_vgg_block(to_pool3, w.b1, w.b2, 2);         // B2
  add_vgg_block(to_pool3, w.b2, w.b3, 3);         // B3: 1/8
  add_vgg_block(to_pool4, w.b3, w.b4, 3);         // B4: 1/16
  add_vgg_block(to_pool5, w.b4, w.b5, 3);         // B5: 1/32
  b6->push_back(OneDnnConv2d(nn::Conv2dOptions(w.b5, w.b6, 3).padding(1)));
  b6->push_back(nn::ReLU());
  b6->push_back(OneDnnConv2d(nn::Conv2dOptions(w.b6, w.b6, 1)));
  b6->push_back(nn::ReLU());
  to_pool3_ = register_module("to_pool3", to_pool3);
  to_pool4_ = register_module("to_pool4", to_pool4);
  to_pool5_ = register_module("to_pool5", to_pool5);
  b6_ = register_module("b6", b6);
  b7_ = register_module("b7", upsampler(w.b6, points, 4));                        // B6: 1/32 -> 1/8
  b8_ = register_module("b8", OneDnnConv2d(nn::Conv2dOptions(w.b3, points, 1)));  // B3's scores at 1/8
  b9_ = register_module("b9", upsampler(w.b4, points, 2));                        // B4: 1/16 -> 1/8
}

torch::Tensor LandmarkFcnImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != in_channels || x.scalar_type() != torch::kFloat32)
    throw InputError("LandmarkFcn: expected a float32 (N, " + std::to_string(in_channels) + ", H, W) tensor");
  if (x.size(2) % 32 || x.size(3) % 32)
    throw InputError("LandmarkFcn: expected H and W multiples of 32, got " + std::to_string(x.size(2)) + " x " +
                     std::to_string(x.size(3)));
  auto pool3 = to_pool3_->forward(x);
  auto pool4 = to_pool4_->forward(pool3);
  auto scores = block_upsample(b7_, b6_->forward(to_pool5_->forward(pool4))) + b8_->forward(pool3) +
                block_upsample(b9_, pool4);
  // B10: FCN's final 8x deconvolution is bilinear and frozen [40]; run as bilinear interpolation
  return torch::nn::functional::interpolate(scores, torch::nn::functional::InterpolateFuncOptions()
                                                        .scale_factor(std::vector<double>{8.0, 8.0})
                                                        .mode(torch::kBilinear)
                                                        .align_corners(false));
}

CascadedFcnImpl::CascadedFcnImpl(int64_t points_, int64_t width_divisor_)
    : points(points_), width_divisor(width_divisor_) {
  auto widths = FcnWidths::divided_by(width_divisor);
  stage1_ = register_module("stage1", LandmarkFcn(1, points, widths));
  stage2_ = register_module("stage2", LandmarkFcn(1 + points, points, widths));
}

std::pair<torch::Tensor, torch::Tensor> CascadedFcnImpl::forward(const torch::Tensor& gray) {
  if (gray.dim() != 4 || gray.size(1) != 1 || gray.size(2) != kSide || gray.size(3) != kSide ||
      gray.scalar_type() != torch::kFloat32)
    throw InputError("CascadedFcn: expected float32 grayscale crops (N, 1, 96, 96) in [0, 1], got " +
                     std::string(gray.sizes().size() ? c10::str(gray.sizes()) : "a scalar") + " " +
                     std::string(c10::toString(gray.scalar_type())));
  auto x = gray * 2 - 1;
  auto h1 = stage1_->forward(x);
  return {h1, stage2_->forward(torch::cat({x, h1}, 1))};
}

}  // namespace facenorm
