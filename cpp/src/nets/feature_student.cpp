#include "facenorm/nets/feature_student.hpp"

#include <torch/nn/functional.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/onednn_conv.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {
namespace {

namespace nn = torch::nn;
namespace Fn = torch::nn::functional;

void add_block(nn::Sequential& s, int64_t in, int64_t out, int64_t stride = 1) {
  s->push_back(OneDnnConv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  s->push_back(nn::BatchNorm2d(out));
  s->push_back(nn::ReLU(nn::ReLUOptions().inplace(true)));
}

}  // namespace

torch::Tensor rgb8_to_unit(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(3) != 3 || images.scalar_type() != torch::kUInt8)
    throw InputError("expected uint8 RGB images (N, H, W, 3)");
  return images.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0).contiguous();
}

FeatureStudentImpl::FeatureStudentImpl(int64_t out_channels_, int64_t width_)
    : out_channels(out_channels_), width(width_) {
  if (out_channels < 1 || width < 1) throw InputError("FeatureStudent: out_channels and width must be >= 1");
  const int64_t w = width;
  nn::Sequential body;
  // On the crop halved to 112 px: 56 px (w), 28 px (2w), then three layers of 4w for a receptive
  // field of about a fifth of the face; a 1 x 1 head to the teacher's channels. (No dilated
  // layers: libtorch's CPU dilated convolution is the slow reference path, not oneDNN.)
  add_block(body, 3, w, 2), add_block(body, w, w);
  add_block(body, w, 2 * w, 2), add_block(body, 2 * w, 2 * w);
  add_block(body, 2 * w, 4 * w), add_block(body, 4 * w, 4 * w), add_block(body, 4 * w, 4 * w);
  body->push_back(OneDnnConv2d(nn::Conv2dOptions(4 * w, out_channels, 1)));
  body_ = register_module("body", body);
}

torch::Tensor FeatureStudentImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != kInput || x.size(3) != kInput || x.scalar_type() != torch::kFloat32)
    throw InputError("FeatureStudent: expected float32 crops (N, 3, 224, 224) in [0, 1]");
  auto half = Fn::avg_pool2d(x * 2 - 1, Fn::AvgPool2dFuncOptions(2));
  auto out = body_->forward(half);  // (N, C, 28, 28)
  return Fn::interpolate(out, Fn::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{kGrid, kGrid})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
}

double train_student_epoch(FeatureStudentImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& crops,
                           const torch::Tensor& targets, int64_t batch_size, uint64_t seed,
                           const std::function<void(int64_t, double)>& progress) {
  if (crops.size(0) != targets.size(0))
    throw InputError("train_student_epoch: crops and targets must have the same number of faces");
  if (targets.dim() != 4 || targets.size(1) != net.out_channels)
    throw InputError("train_student_epoch: targets must be (N, " + std::to_string(net.out_channels) + ", 27, 27)");
  net.train();
  return run_seeded_epoch(crops.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto x = rgb8_to_unit(crops.index_select(0, index));
    auto t = targets.index_select(0, index).to(torch::kFloat32);
    optimizer.zero_grad();
    auto loss = torch::mse_loss(net.forward(x), t);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

}  // namespace facenorm
