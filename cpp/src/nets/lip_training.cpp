// Training and evaluation passes of the lip classifiers over images or cached features.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/lip_classifier.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {

namespace {

std::string describe(const torch::Tensor& t) {
  if (!t.defined()) return "none";
  std::string s = std::string(c10::toString(t.scalar_type())) + " (";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

bool are_images(const torch::Tensor& t) { return t.scalar_type() == torch::kByte; }

void check_input(const torch::Tensor& t, int64_t n, bool mirror, const char* what) {
  if (!t.defined()) throw InputError(std::string(what) + ": expected a tensor, got none");
  if (t.size(0) != n) throw InputError(std::string(what) + ": expected " + std::to_string(n) + " rows (one per label), got " + describe(t));
  if (are_images(t)) {
    if (t.dim() != 4 || t.size(3) != 3) throw InputError(std::string(what) + ": expected uint8 images (N, S, S, 3) RGB, got " + describe(t));
    return;
  }
  if (t.dim() != 5 || !(t.scalar_type() == torch::kHalf || t.scalar_type() == torch::kFloat))
    throw InputError(std::string(what) + ": expected uint8 images (N, S, S, 3) or cached features float16 (N, V, C, h, w), got " + describe(t));
  if (mirror && t.size(1) < 2)
    throw InputError(std::string(what) + ": mirror augmentation needs the mirrored crops' features too (V = 2), got " + describe(t));
}

int64_t check_source(const LipClassifierImpl& net, const LipBatchSource& d, bool mirror) {
  if (!d.labels.defined() || d.labels.dim() != 1 || d.labels.scalar_type() != torch::kLong)
    throw InputError("labels: expected int64 (N,), got " + describe(d.labels));
  if (d.labels.numel() > 0 && (d.labels.min().item<int64_t>() < 0 || d.labels.max().item<int64_t>() > 1))
    throw InputError("labels: expected 0 (normal) or 1 (abnormal)");
  const int64_t n = d.labels.size(0);
  check_input(d.original, n, mirror, "original");
  if (net.siamese()) {
    check_input(d.normalized, n, mirror, "normalized");
    if (d.normalized.sizes() != d.original.sizes() || d.normalized.scalar_type() != d.original.scalar_type())
      throw InputError("normalized: expected the original's shape and type " + describe(d.original) + ", got " + describe(d.normalized));
  }
  return are_images(d.original) ? 0 : net.cache_block();
}

// Rows `index` as float (B, C, H, W); `mirror` (B,) bool picks mirrored crops (or their features).
torch::Tensor gather(const torch::Tensor& source, const torch::Tensor& index, const torch::Tensor& mirror) {
  if (are_images(source)) {
    torch::Tensor x = source.index_select(0, index).permute({0, 3, 1, 2}).to(torch::kFloat);
    if (mirror.defined()) x = torch::where(mirror.view({-1, 1, 1, 1}), x.flip({3}), x);
    return x.contiguous();
  }
  torch::Tensor rows = source.index_select(0, index);
  torch::Tensor variant = mirror.defined() ? mirror.to(torch::kLong) : torch::zeros({index.size(0)}, torch::kLong);
  return rows.index({torch::arange(index.size(0)), variant}).to(torch::kFloat).contiguous();
}

}  // namespace

double train_lip_classifier_epoch(LipClassifierImpl& net, torch::optim::Optimizer& optimizer, const LipBatchSource& d,
                                  int64_t batch_size, uint64_t seed, bool mirror_augment, const LipProgress& progress) {
  const int64_t from = check_source(net, d, mirror_augment);
  net.train(true);
  auto mirror_generator = at::detail::createCPUGenerator(seed * 2654435761ULL + 1);
  return run_seeded_epoch(d.labels.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    torch::Tensor mirror;
    if (mirror_augment) mirror = at::rand({index.size(0)}, mirror_generator) < 0.5;
    torch::Tensor original = gather(d.original, index, mirror);
    torch::Tensor normalized = net.siamese() ? gather(d.normalized, index, mirror) : torch::Tensor();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(original, normalized, from),
                                                              d.labels.index_select(0, index));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

LipEvaluation evaluate_lip_classifier(LipClassifierImpl& net, const LipBatchSource& d, int64_t batch_size) {
  const int64_t from = check_source(net, d, false);
  if (batch_size < 1) throw InputError("batch_size: expected >= 1, got " + std::to_string(batch_size));
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  const int64_t n = d.labels.size(0);
  LipEvaluation out;
  out.p_abnormal = torch::empty({n});
  double loss_sum = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    torch::Tensor index = torch::arange(start, std::min(n, start + batch_size));
    torch::Tensor normalized = net.siamese() ? gather(d.normalized, index, {}) : torch::Tensor();
    torch::Tensor logits = net.forward(gather(d.original, index, {}), normalized, from);
    torch::Tensor labels = d.labels.index_select(0, index);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    out.correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
    out.p_abnormal.slice(0, start, start + index.size(0)).copy_(torch::softmax(logits, 1).select(1, 1));
  }
  out.loss = n ? loss_sum / double(n) : 0.0;
  net.train(was_training);
  return out;
}

torch::Tensor lip_cache_features(LipClassifierImpl& net, const torch::Tensor& images, bool mirrored, int64_t batch_size) {
  if (!images.defined() || !are_images(images) || images.dim() != 4 || images.size(3) != 3)
    throw InputError("images: expected uint8 (N, S, S, 3) RGB, got " + describe(images));
  if (batch_size < 1) throw InputError("batch_size: expected >= 1, got " + std::to_string(batch_size));
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  const int64_t n = images.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    torch::Tensor index = torch::arange(start, std::min(n, start + batch_size));
    torch::Tensor mirror = mirrored ? torch::ones({index.size(0)}, torch::kBool) : torch::Tensor();
    torch::Tensor x = net.backbone->prepare(gather(images, index, mirror));
    parts.push_back(net.backbone->run_blocks(x, 0, net.cache_block()).to(torch::kHalf));
  }
  net.train(was_training);
  return parts.empty() ? torch::empty({0}, torch::kHalf) : torch::cat(parts, 0);
}

}  // namespace facenorm
