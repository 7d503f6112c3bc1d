#include "facenorm/nets/onednn_conv.hpp"

#include <ATen/Context.h>
#include <ATen/ops/mkldnn_convolution.h>

namespace facenorm {

torch::Tensor onednn_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            at::IntArrayRef padding, at::IntArrayRef stride, int64_t groups) {
  if (x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && x.dim() == 4 && at::hasMKLDNN())
    return at::mkldnn_convolution(x.contiguous(), weight, bias, padding, stride, {1, 1}, groups);
  return at::conv2d(x, weight, bias, stride, padding, {1, 1}, groups);
}

torch::Tensor OneDnnConv2dImpl::forward(const torch::Tensor& x) {
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
  const bool plain = padding && c10::get_if<torch::enumtype::kZeros>(&options.padding_mode()) &&
                     options.dilation()->at(0) == 1 && options.dilation()->at(1) == 1;
  if (!plain) return Conv2dImpl::forward(x);
  return onednn_conv2d(x, weight, bias, **padding, *options.stride(), options.groups());
}

}  // namespace facenorm
