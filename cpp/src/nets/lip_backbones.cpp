// The lip classifier's other backbones (simple three-block CNN, dlib's ResNets) and the factory.
#include <torch/torch.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/dlib_resnet.hpp"
#include "facenorm/nets/lip_backbone.hpp"
#include "facenorm/nets/mobilenet_v2.hpp"

namespace facenorm {

torch::Tensor LipBackboneImpl::run_blocks(torch::Tensor x, int64_t from, int64_t to) {
  if (to < 0) to = block_count();
  for (int64_t b = from; b < to; ++b) x = run_block(b, x);
  return x;
}

int64_t LipBackboneImpl::layer_count() {
  int64_t n = 0;
  for (int64_t b = 0; b < block_count(); ++b) n += static_cast<int64_t>(block_layers(b).size());
  return n;
}

namespace {

namespace F = torch::nn::functional;

// The ICMI 2024 ablation's "simpler three-block CNN": three times conv 3x3, batch norm, relu,
// 2x2 max pool (32, 64, 128 channels); the 128 channels pooled are the embedding.
class SimpleCnnImpl : public LipBackboneImpl {
 public:
  SimpleCnnImpl() {
    int64_t in = 3;
    for (int64_t out : {32, 64, 128}) {
      convs.push_back(register_module("conv" + std::to_string(convs.size() + 1),
                                      OneDnnConv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1))));
      norms.push_back(register_module("bn" + std::to_string(norms.size() + 1), torch::nn::BatchNorm2d(out)));
      in = out;
    }
  }
  std::string kind() const override { return "simple_cnn"; }
  int64_t embedding_size() const override { return 128; }
  int64_t block_count() const override { return 3; }
  torch::Tensor prepare(const torch::Tensor& rgb255) override { return rgb255 / 127.5 - 1.0; }
  torch::Tensor run_block(int64_t b, const torch::Tensor& x) override {
    return F::max_pool2d(torch::relu(norms[b](convs[b](x))), F::MaxPool2dFuncOptions(2));
  }
  std::vector<std::shared_ptr<torch::nn::Module>> block_layers(int64_t b) override {
    return {convs[b].ptr(), norms[b].ptr(), nullptr, nullptr};
  }

 private:
  std::vector<OneDnnConv2d> convs;
  std::vector<torch::nn::BatchNorm2d> norms;
};

// dlib's ResNets (pretrained, read from dlib's own files): block 0 is the stem, then one block
// per residual block. Layers are counted with parameters only (conv, affine), as dlib lists them.
class DlibResNetBackboneImpl : public LipBackboneImpl {
 public:
  DlibResNetBackboneImpl(std::string kind, DlibResNet net) : kind_(std::move(kind)) {
    this->net = register_module("net", std::move(net));
    blocks_ = this->net->residual_blocks();
    // Only the blocks are the backbone; the classifier's fc layer stays out of training.
    for (auto& p : this->net->fully_connected()->parameters()) p.set_requires_grad(false);
  }
  std::string kind() const override { return kind_; }
  int64_t embedding_size() const override { return blocks_.back()->conv2->options.out_channels(); }
  int64_t block_count() const override { return static_cast<int64_t>(blocks_.size()) + 1; }
  torch::Tensor prepare(const torch::Tensor& rgb255) override { return net->normalize(rgb255); }
  torch::Tensor run_block(int64_t b, const torch::Tensor& x) override {
    return b == 0 ? net->stem(x) : blocks_[b - 1]->forward(x);
  }
  std::vector<std::shared_ptr<torch::nn::Module>> block_layers(int64_t b) override {
    if (b == 0) return {net->stem_convolution().ptr(), net->stem_channel_affine().ptr()};
    auto& k = blocks_[b - 1];
    return {k->conv1.ptr(), k->affine1.ptr(), k->conv2.ptr(), k->affine2.ptr()};
  }
  DlibResNet net{nullptr};

 private:
  std::string kind_;
  std::vector<DlibResidualBlock> blocks_;
};

}  // namespace

std::shared_ptr<LipBackboneImpl> make_lip_backbone(const std::string& kind, const std::string& weights_file) {
  if (kind == "mobilenet_v2") return std::make_shared<MobileNetV2Impl>();
  if (kind == "simple_cnn") return std::make_shared<SimpleCnnImpl>();
  if (kind == "resnet34" || kind == "face_resnet") {
    if (weights_file.empty())
      throw ModelError("backbone '" + kind + "': expected the dlib model file it is read from (" +
                       (kind == "resnet34" ? "resnet34_1000_imagenet_classifier.dnn" : "dlib_face_recognition_resnet_model_v1.dat") +
                       "; `facenorm fetch-models` puts it in models/)");
    DlibResNet net = kind == "resnet34" ? load_dlib_resnet34(weights_file) : load_dlib_face_resnet(weights_file);
    auto backbone = std::make_shared<DlibResNetBackboneImpl>(kind, std::move(net));
    for (auto& p : backbone->parameters()) p.set_requires_grad(true);
    for (auto& p : backbone->net->fully_connected()->parameters()) p.set_requires_grad(false);
    return backbone;
  }
  throw ModelError("backbone: expected mobilenet_v2, simple_cnn, resnet34 or face_resnet, got '" + kind + "'");
}

}  // namespace facenorm
