// The Siamese and baseline lip classifiers: shared backbone, 256-unit head, partial freezing, CAM.
#include "facenorm/nets/lip_classifier.hpp"

#include <torch/torch.h>

#include "facenorm/errors.hpp"

namespace facenorm {

LipClassifierImpl::LipClassifierImpl(std::shared_ptr<LipBackboneImpl> net, bool siamese, int64_t hidden)
    : siamese_(siamese) {
  if (!net) throw ModelError("lip classifier: expected a backbone, got none");
  if (hidden < 1) throw InputError("lip classifier: expected hidden units >= 1, got " + std::to_string(hidden));
  backbone = register_module("backbone", std::move(net));
  reduce = register_module("reduce", torch::nn::Linear(backbone->embedding_size() * branches(), hidden));
  classify = register_module("classify", torch::nn::Linear(hidden, 2));
  set_trainable_layers(-1);
}

torch::Tensor LipClassifierImpl::features(const torch::Tensor& x, int64_t from_block, int64_t to_block) {
  if (from_block < 0 || from_block > backbone->block_count())
    throw InputError("lip classifier: expected from_block in [0, " + std::to_string(backbone->block_count()) +
                     "], got " + std::to_string(from_block));
  if (!x.defined() || x.dim() != 4 || !x.is_floating_point())
    throw InputError("lip classifier: expected float tensors (N, C, H, W), got " +
                     (x.defined() ? std::to_string(x.dim()) + "-D " + std::string(c10::toString(x.scalar_type())) : "none"));
  if (from_block == 0 && x.size(1) != 3)
    throw InputError("lip classifier: expected RGB images (N, 3, S, S), got " + std::to_string(x.size(1)) + " channels");
  torch::Tensor y = from_block == 0 ? backbone->prepare(x) : x;
  return backbone->run_blocks(y, from_block, to_block);
}

torch::Tensor LipClassifierImpl::head(const torch::Tensor& pooled) {
  return classify(torch::relu(reduce(pooled)));
}

torch::Tensor LipClassifierImpl::forward(const torch::Tensor& original, const torch::Tensor& normalized,
                                         int64_t from_block) {
  if (!siamese_) return head(features(original, from_block).mean({2, 3}));
  if (!normalized.defined() || normalized.sizes() != original.sizes())
    throw InputError("Siamese lip classifier: expected the normalized crop with the original's shape");
  if (!is_training()) {  // one batch for both branches: faster, and the same in inference mode
    torch::Tensor pooled = features(torch::cat({original, normalized}), from_block).mean({2, 3});
    return head(torch::cat(pooled.chunk(2), 1));
  }
  // Training keeps the branches apart, so batch norms see each branch's own statistics.
  return head(torch::cat({features(original, from_block).mean({2, 3}), features(normalized, from_block).mean({2, 3})}, 1));
}

std::tuple<torch::Tensor, torch::Tensor> LipClassifierImpl::class_activation_maps(const torch::Tensor& original,
                                                                                  const torch::Tensor& normalized) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> maps;
  if (siamese_) {
    if (!normalized.defined() || normalized.sizes() != original.sizes())
      throw InputError("Siamese lip classifier: expected the normalized crop with the original's shape");
    maps = features(torch::cat({original, normalized}), 0).chunk(2);
  } else {
    maps.push_back(features(original, 0));
  }
  std::vector<torch::Tensor> pooled;
  for (auto& m : maps) pooled.push_back(m.mean({2, 3}));
  torch::Tensor hidden = reduce(torch::cat(pooled, 1));
  torch::Tensor logits = classify(torch::relu(hidden));
  // d(logit_abnormal - logit_normal)/d(pooled) at this relu pattern: exact, the head being linear there.
  torch::Tensor w_diff = classify->weight[1] - classify->weight[0];                       // (hidden,)
  torch::Tensor weights = ((hidden > 0).to(hidden.scalar_type()) * w_diff).matmul(reduce->weight);  // (N, B*E)
  const int64_t e = backbone->embedding_size();
  std::vector<torch::Tensor> cams;
  for (size_t b = 0; b < maps.size(); ++b)
    cams.push_back(torch::einsum("nk,nkhw->nhw", {weights.slice(1, b * e, (b + 1) * e), maps[b]}));
  return {logits, torch::stack(cams, 1)};
}

void LipClassifierImpl::set_trainable_layers(int64_t k) {
  const int64_t total = backbone->layer_count();
  if (k < 0 || k > total) k = total;
  const int64_t first_trainable = total - k;
  frozen_layers_.clear();
  cache_block_ = backbone->block_count();
  int64_t index = 0;
  for (int64_t b = 0; b < backbone->block_count(); ++b)
    for (auto& layer : backbone->block_layers(b)) {
      const bool trainable = index++ >= first_trainable;
      if (trainable && cache_block_ == backbone->block_count()) cache_block_ = b;
      if (!layer) continue;
      for (auto& p : layer->parameters()) p.set_requires_grad(trainable);
      if (!trainable) frozen_layers_.push_back(layer);
    }
  trainable_layers_ = k;
  train(is_training());
}

void LipClassifierImpl::train(bool on) {
  torch::nn::Module::train(on);
  for (auto& layer : frozen_layers_) layer->eval();
}

}  // namespace facenorm
