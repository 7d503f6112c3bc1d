// Copies the parameters dlib read from a model file into the libtorch module.
#include <torch/torch.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/dlib_resnet.hpp"

namespace facenorm {
namespace {

void copy_into(torch::Tensor& target, const std::vector<float>& values, const std::vector<int64_t>& shape,
               const std::string& what) {
  if (target.sizes() != torch::IntArrayRef(shape) || static_cast<int64_t>(values.size()) != target.numel())
    throw ModelError("dlib ResNet import: " + what + " has the wrong shape");
  // from_blob does not own the memory; copy_ reads it before `values` can go away.
  target.copy_(torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat32));
}

void copy_conv(OneDnnConv2d& conv, const DlibConvolution& c, const std::string& what) {
  copy_into(conv->weight, c.filters.values, c.filters.shape, what + " filters");
  if (c.bias.empty())
    conv->bias.zero_();  // dlib's con_ with disable_bias(): same function as a zero bias
  else
    copy_into(conv->bias, c.bias, {static_cast<int64_t>(c.bias.size())}, what + " bias");
}

void copy_affine(ChannelAffine& affine, const DlibChannelAffine& a, const std::string& what) {
  copy_into(affine->gamma, a.gamma, {static_cast<int64_t>(a.gamma.size())}, what + " gamma");
  copy_into(affine->beta, a.beta, {static_cast<int64_t>(a.beta.size())}, what + " beta");
}

DlibResNet build(const DlibResNetWeights& w) {
  DlibResNet net(w.spec);
  net->load_weights(w);
  for (auto& p : net->parameters()) p.set_requires_grad(false);
  net->eval();
  return net;
}

}  // namespace

void DlibResNetImpl::load_weights(const DlibResNetWeights& w) {
  if (w.spec.name != spec_.name)
    throw ModelError("dlib ResNet import: weights of the " + w.spec.name + " do not fit the " + spec_.name);
  check_weights_match_spec(w, "DlibResNet::load_weights");
  torch::NoGradGuard no_grad;
  mean_rgb.copy_(torch::tensor({w.mean_rgb[0], w.mean_rgb[1], w.mean_rgb[2]}).view({1, 3, 1, 1}));
  size_t i = 0;
  copy_conv(stem_conv, w.convolutions[i], "stem convolution");
  copy_affine(stem_affine, w.affines[i], "stem affine");
  ++i;
  for (size_t s = 0; s < stages_.size(); ++s) {
    for (const auto& m : *stages_[s]) {
      auto block = m->as<DlibResidualBlock>();
      const std::string where = "stage" + std::to_string(s + 1) + " block";
      copy_conv(block->conv1, w.convolutions[i], where + " conv1");
      copy_affine(block->affine1, w.affines[i], where + " affine1");
      ++i;
      copy_conv(block->conv2, w.convolutions[i], where + " conv2");
      copy_affine(block->affine2, w.affines[i], where + " affine2");
      ++i;
    }
  }
  copy_into(fc->weight, w.fc_weight.values, w.fc_weight.shape, "fully connected weights");
  if (spec_.fc_bias) copy_into(fc->bias, w.fc_bias, {static_cast<int64_t>(w.fc_bias.size())}, "fully connected bias");
  labels_ = w.labels;
}

DlibResNet load_dlib_resnet34(const std::string& path) { return build(read_dlib_resnet34_imagenet(path)); }

DlibResNet load_dlib_face_resnet(const std::string& path) { return build(read_dlib_face_resnet(path)); }

}  // namespace facenorm
