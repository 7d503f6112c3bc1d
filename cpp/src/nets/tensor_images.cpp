#include "facenorm/tensor_images.hpp"

#include <torch/torch.h>

#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

std::string shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + (t.dim() == 1 ? ",)" : ")");
}

torch::Tensor channel_stats(const std::array<float, 3>& v) {
  return torch::tensor({v[0], v[1], v[2]}, torch::kFloat32).view({1, 3, 1, 1});
}

}  // namespace

torch::Tensor images_to_tensor(const torch::Tensor& images, const Normalization& n) {
  if (images.scalar_type() != torch::kUInt8)
    throw InputTypeError(std::string("images: expected a uint8 tensor, got ") + std::string(c10::toString(images.scalar_type())));
  if (!images.device().is_cpu()) throw InputError("images: expected a CPU tensor");
  if (!((images.dim() == 4 && images.size(3) == 3) || (images.dim() == 3 && images.size(2) == 3)))
    throw InputError("images: expected shape (N, H, W, 3) or (H, W, 3) RGB, got " + shape_of(images));
  for (float s : n.std)
    if (!(s > 0)) throw InputError("normalization std: expected positive values");
  torch::Tensor batch = images.dim() == 3 ? images.unsqueeze(0) : images;
  torch::Tensor x = batch.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f);
  return x.sub_(channel_stats(n.mean)).div_(channel_stats(n.std)).contiguous();
}

torch::Tensor tensor_to_images(const torch::Tensor& x, const Normalization& n) {
  if (x.scalar_type() != torch::kFloat32)
    throw InputTypeError(std::string("tensor: expected float32, got ") + std::string(c10::toString(x.scalar_type())));
  if (x.dim() != 4 || x.size(1) != 3) throw InputError("tensor: expected shape (N, 3, H, W), got " + shape_of(x));
  torch::Tensor cpu = x.detach().to(torch::kCPU);
  torch::Tensor rgb = cpu.mul(channel_stats(n.std)).add_(channel_stats(n.mean)).mul_(255.0f).round_().clamp_(0, 255);
  return rgb.to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

}  // namespace facenorm
