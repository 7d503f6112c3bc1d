#include "facenorm/nets/face_autoencoder.hpp"

#include <torch/nn/functional.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include "facenorm/errors.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {
namespace {

namespace nn = torch::nn;
namespace Fn = torch::nn::functional;

// Appends layers to a Sequential (libtorch cannot nest Sequentials).
void add_down(nn::Sequential& s, int64_t in, int64_t out) {  // halves the side
  s->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1)));
  s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
}

void add_up(nn::Sequential& s, int64_t in, int64_t out) {  // doubles the side
  s->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1)));
  s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
}

void add_conv(nn::Sequential& s, int64_t in, int64_t out) {
  s->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
  s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
}

void check_images(const torch::Tensor& x, const char* name) {
  if (x.dim() != 4 || x.size(1) != 3 || x.scalar_type() != torch::kFloat32)
    throw InputError(std::string(name) + ": expected a float32 (N, 3, H, W) RGB tensor in [0, 1]");
}

}  // namespace

FaceAutoencoderImpl::FaceAutoencoderImpl(int64_t channels_, int64_t bottleneck_)
    : channels(channels_), bottleneck(bottleneck_) {
  if (channels < 1 || bottleneck < 1) throw InputError("FaceAutoencoder: channels and bottleneck must be >= 1");
  const int64_t c = channels, flat = 8 * c * 8 * 8;  // 4 stages: 128 -> 8 pixels, 8c channels
  nn::Sequential encoder, decoder;
  add_down(encoder, 3, c), add_down(encoder, c, 2 * c), add_down(encoder, 2 * c, 4 * c), add_down(encoder, 4 * c, 8 * c);
  add_up(decoder, 8 * c, 4 * c), add_up(decoder, 4 * c, 2 * c), add_up(decoder, 2 * c, c);
  decoder->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(c, 3, 4).stride(2).padding(1)));
  encoder_ = register_module("encoder", encoder);
  to_code_ = register_module("to_code", nn::Linear(flat, bottleneck));
  from_code_ = register_module("from_code", nn::Linear(bottleneck, flat));
  decoder_ = register_module("decoder", decoder);
}

torch::Tensor FaceAutoencoderImpl::encode(const torch::Tensor& x) {
  check_images(x, "FaceAutoencoder input");
  if (x.size(2) != kSide || x.size(3) != kSide)
    throw InputError("FaceAutoencoder input: expected 128 x 128 faces, got " + std::to_string(x.size(2)) + " x " +
                     std::to_string(x.size(3)));
  return to_code_->forward(encoder_->forward(x * 2 - 1).flatten(1));
}

torch::Tensor FaceAutoencoderImpl::decode(const torch::Tensor& code) {
  auto h = torch::leaky_relu(from_code_->forward(code), 0.2).view({code.size(0), 8 * channels, 8, 8});
  return torch::sigmoid(decoder_->forward(h));
}

torch::Tensor FaceAutoencoderImpl::forward(const torch::Tensor& x) { return decode(encode(x)); }

FaceRestorationImpl::FaceRestorationImpl(int64_t channels_) : channels(channels_) {
  if (channels < 1) throw InputError("FaceRestoration: channels must be >= 1");
  const int64_t c = channels;
  nn::Sequential in, down1, down2, up2, up1, out;
  // The U-Net runs at half resolution: the 6 input channels enter space-to-depth (2 x 2 blocks ->
  // 24 channels) and the residual leaves depth-to-space (12 -> 3 channels), which keeps every
  // 3 x 3 convolution off the full-resolution grid (3.4x fewer multiply-adds at the same width).
  add_conv(in, 6 * kShuffle * kShuffle, c);
  add_down(down1, c, 2 * c), add_conv(down1, 2 * c, 2 * c);
  add_down(down2, 2 * c, 4 * c), add_conv(down2, 4 * c, 4 * c);
  add_up(up2, 4 * c, 2 * c);
  add_conv(up1, 4 * c, 2 * c), add_up(up1, 2 * c, c);
  add_conv(out, 2 * c, c);
  out->push_back(nn::Conv2d(nn::Conv2dOptions(c, 3 * kShuffle * kShuffle, 3).padding(1)));
  in_ = register_module("stem", in);
  down1_ = register_module("down1", down1);
  down2_ = register_module("down2", down2);
  up2_ = register_module("up2", up2);
  up1_ = register_module("up1", up1);
  out_ = register_module("head", out);
}

torch::Tensor FaceRestorationImpl::forward(const torch::Tensor& degraded, const torch::Tensor& structure) {
  check_images(degraded, "FaceRestoration degraded");
  check_images(structure, "FaceRestoration structure");
  if (degraded.sizes() != structure.sizes())
    throw InputError("FaceRestoration: degraded and structure must have the same shape");
  if (degraded.size(2) % kMultiple || degraded.size(3) % kMultiple)
    throw InputError("FaceRestoration: expected H and W multiples of " + std::to_string(kMultiple) + ", got " +
                     std::to_string(degraded.size(2)) + " x " + std::to_string(degraded.size(3)));
  auto x0 = in_->forward(torch::pixel_unshuffle(torch::cat({degraded, structure}, 1) * 2 - 1, kShuffle));
  auto x1 = down1_->forward(x0);
  auto x2 = down2_->forward(x1);
  auto y1 = up1_->forward(torch::cat({up2_->forward(x2), x1}, 1));
  auto residual = torch::pixel_shuffle(out_->forward(torch::cat({y1, x0}, 1)), kShuffle);
  return (degraded + residual).clamp(0, 1);
}

torch::Tensor coarse_structure(const torch::Tensor& x, int64_t factor) {
  check_images(x, "coarse_structure input");
  if (factor < 1) throw InputError("coarse_structure: factor must be >= 1");
  auto small = Fn::adaptive_avg_pool2d(x, Fn::AdaptiveAvgPool2dFuncOptions({x.size(2) / factor, x.size(3) / factor}));
  return Fn::interpolate(small, Fn::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
}


double train_autoencoder_epoch(FaceAutoencoderImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& faces,
                               int64_t batch_size, uint64_t seed, const TrainingProgress& progress) {
  check_images(faces, "training faces");
  net.train();
  return run_seeded_epoch(faces.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto batch = faces.index_select(0, index);
    optimizer.zero_grad();
    auto loss = torch::l1_loss(net.forward(batch), batch);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

double train_restoration_epoch(FaceRestorationImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& degraded,
                               const torch::Tensor& structure, const torch::Tensor& targets, int64_t batch_size,
                               uint64_t seed, const TrainingProgress& progress) {
  check_images(targets, "training targets");
  if (degraded.sizes() != targets.sizes() || structure.sizes() != targets.sizes())
    throw InputError("training: degraded, structure and targets must have the same shape");
  net.train();
  return run_seeded_epoch(targets.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto t = targets.index_select(0, index);
    optimizer.zero_grad();
    auto loss = torch::l1_loss(net.forward(degraded.index_select(0, index), structure.index_select(0, index)), t);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

}  // namespace facenorm
