#include "facenorm/nets/face_inpainter.hpp"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/upsampling.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/feature_student.hpp"
#include "facenorm/nets/onednn_conv.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {
namespace {

namespace nn = torch::nn;

// Every convolution runs oneDNN (libtorch's CPU transposed and dilated convolutions are its slow
// reference paths): upsampling is nearest-neighbour followed by a convolution.
void add_conv(nn::Sequential& s, int64_t in, int64_t out, int64_t stride = 1) {
  s->push_back(OneDnnConv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1)));
  s->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
}

void add_up(nn::Sequential& s, int64_t in, int64_t out) {
  s->push_back(nn::Upsample(
      nn::UpsampleOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
  add_conv(s, in, out);
}

}  // namespace

FaceInpainterImpl::FaceInpainterImpl(int64_t channels_) : channels(channels_) {
  if (channels < 1) throw InputError("FaceInpainter: channels must be >= 1");
  const int64_t c = channels;
  nn::Sequential in, down1, down2, up2, up1, out;
  add_conv(in, 4 * kShuffle * kShuffle, c);  // RGB + hole mask, space-to-depth
  add_conv(down1, c, 2 * c, 2), add_conv(down1, 2 * c, 2 * c);
  // At an eighth of the window's resolution three layers see across the lower face: a hole the
  // size of the upper lip is filled from both cheeks and the nose, not from its rim only.
  add_conv(down2, 2 * c, 4 * c, 2), add_conv(down2, 4 * c, 4 * c), add_conv(down2, 4 * c, 4 * c),
      add_conv(down2, 4 * c, 4 * c);
  add_up(up2, 4 * c, 2 * c);
  add_conv(up1, 4 * c, 2 * c), add_up(up1, 2 * c, c);
  add_conv(out, 2 * c, c);
  out->push_back(OneDnnConv2d(nn::Conv2dOptions(c, 3 * kShuffle * kShuffle, 3).padding(1)));
  in_ = register_module("stem", in);
  down1_ = register_module("down1", down1);
  down2_ = register_module("down2", down2);
  up2_ = register_module("up2", up2);
  up1_ = register_module("up1", up1);
  out_ = register_module("head", out);
}

torch::Tensor FaceInpainterImpl::forward(const torch::Tensor& image, const torch::Tensor& mask) {
  if (image.dim() != 4 || image.size(1) != 3 || image.scalar_type() != torch::kFloat32)
    throw InputError("FaceInpainter: expected a float32 image (N, 3, H, W) in [0, 1]");
  if (mask.dim() != 4 || mask.size(1) != 1 || mask.size(0) != image.size(0) || mask.size(2) != image.size(2) ||
      mask.size(3) != image.size(3) || mask.scalar_type() != torch::kFloat32)
    throw InputError("FaceInpainter: expected a float32 mask (N, 1, H, W) matching the image, 1 = hole");
  if (image.size(2) % kMultiple || image.size(3) % kMultiple)
    throw InputError("FaceInpainter: expected H and W multiples of " + std::to_string(kMultiple) + ", got " +
                     std::to_string(image.size(2)) + " x " + std::to_string(image.size(3)));
  auto keep = 1 - mask;
  auto holed = image * keep + 0.5 * mask;  // the hole's content is never seen
  auto x0 = in_->forward(torch::pixel_unshuffle(torch::cat({holed * 2 - 1, mask}, 1), kShuffle));
  auto x1 = down1_->forward(x0);
  auto x2 = down2_->forward(x1);
  auto y1 = up1_->forward(torch::cat({up2_->forward(x2), x1}, 1));
  auto filled = (holed + torch::pixel_shuffle(out_->forward(torch::cat({y1, x0}, 1)), kShuffle)).clamp(0, 1);
  return image * keep + filled * mask;
}

double train_inpainter_epoch(FaceInpainterImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& windows,
                             const torch::Tensor& holes, const std::shared_ptr<DlibResNetImpl>& perceptual,
                             double perceptual_weight, int64_t batch_size, uint64_t seed,
                             const std::function<void(int64_t, double)>& progress) {
  if (holes.dim() != 3 || holes.scalar_type() != torch::kUInt8 || holes.size(0) != windows.size(0) ||
      holes.size(1) != windows.size(1) || holes.size(2) != windows.size(2))
    throw InputError("train_inpainter_epoch: holes must be uint8 (N, H, W) matching the windows (N, H, W, 3)");
  if (perceptual) {
    perceptual->eval();
    for (auto& p : perceptual->parameters()) p.requires_grad_(false);
  }
  net.train();
  return run_seeded_epoch(windows.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto target = rgb8_to_unit(windows.index_select(0, index));
    auto mask = holes.index_select(0, index).gt(0).to(torch::kFloat32).unsqueeze(1);
    optimizer.zero_grad();
    auto filled = net.forward(target, mask);
    auto area = mask.sum() * 3 + 1;
    auto loss = (filled - target).abs().mul(mask).sum() / area;
    if (perceptual && perceptual_weight > 0) {
      auto a = perceptual->features(filled * 255, 2), b = perceptual->features(target * 255, 2);
      for (size_t k = 0; k < a.size(); ++k) loss = loss + perceptual_weight * torch::l1_loss(a[k], b[k].detach());
    }
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

}  // namespace facenorm
