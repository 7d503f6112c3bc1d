// Debian's libtorch 1.13 is built with a generic reference BLAS (torch.__config__: BLAS_INFO=generic).
// Its default convolution for a single small image (THNN: im2col + that GEMM) runs about 10x slower
// than oneDNN, which libtorch only picks for batches or large inputs. OneDnnConv2d is a Conv2d (same
// options, parameter names and state dicts) that always runs oneDNN on CPU float32 tensors, with
// autograd; anything else falls back to Conv2d.
#pragma once

#include <torch/nn/modules/conv.h>

namespace facenorm {

class OneDnnConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using Conv2dImpl::Conv2dImpl;
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(OneDnnConv2d);

// at::mkldnn_convolution where it applies (CPU float32, oneDNN present), else at::conv2d.
torch::Tensor onednn_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            at::IntArrayRef padding, at::IntArrayRef stride, int64_t groups);

}  // namespace facenorm
