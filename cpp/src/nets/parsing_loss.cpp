// The parsing network's loss (cross-entropy + eq. 7), metrics (eqs. 9-11) and training epoch.
#include <limits>

#include <torch/nn/functional.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/palsy_parsing.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {
namespace {

namespace Fn = torch::nn::functional;

void check_labels(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.dim() != 4 || labels.dim() != 3 || labels.scalar_type() != torch::kLong ||
      labels.size(0) != logits.size(0) || labels.size(1) != logits.size(2) || labels.size(2) != logits.size(3))
    throw InputError("parsing: expected int64 label maps (N, H, W) matching the logits (N, classes, H, W)");
  if (labels.numel() && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= logits.size(1)))
    throw InputError("parsing: labels must lie in [0, classes)");
}

}  // namespace

torch::Tensor boundary_loss(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& class_weights) {
  check_labels(logits, labels);
  const int64_t k = logits.size(1);
  auto onehot = torch::one_hot(labels, k).permute({0, 3, 1, 2}).to(torch::kFloat32);  // (N, K, H, W)
  // a pixel of class j lies on its contour when its 3x3 neighbourhood is not all class j
  auto pool = Fn::MaxPool2dFuncOptions(3).stride(1).padding(1);
  auto interior = -Fn::max_pool2d(-onehot, pool);  // 1 where the whole neighbourhood is class j
  auto contour = onehot - interior;                // (N, K, H, W), 0/1
  auto ce = Fn::cross_entropy(logits, labels, Fn::CrossEntropyFuncOptions().reduction(torch::kNone));  // (N, H, W)
  auto per = (contour * ce.unsqueeze(1)).sum({2, 3});  // (N, K)
  auto count = contour.sum({2, 3});
  auto present = count > 0;
  auto weights = class_weights.defined() && class_weights.numel() ? class_weights.to(logits.dtype()).view({1, k})
                                                                   : torch::ones({1, k}, logits.options());
  auto terms = torch::where(present, weights * per / count.clamp_min(1), torch::zeros_like(per));
  return terms.sum() / present.sum().clamp_min(1);
}

torch::Tensor parsing_loss(const ParsingOutput& out, const torch::Tensor& labels, double boundary_weight,
                           const torch::Tensor& depth) {
  check_labels(out.logits, labels);
  auto loss = Fn::cross_entropy(out.logits, labels) + 0.5 * Fn::cross_entropy(out.coarse, labels);
  if (boundary_weight > 0) loss = loss + boundary_weight * boundary_loss(out.logits, labels);
  if (depth.defined() && depth.numel()) loss = loss + torch::l1_loss(out.depth, depth) / PalsyParsingNetImpl::kDepthMax;
  return loss;
}

torch::Tensor parsing_confusion(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t classes) {
  if (predicted.sizes() != truth.sizes() || classes < 1)
    throw InputError("parsing_confusion: expected predicted and true label maps of the same shape");
  auto p = predicted.to(torch::kLong).flatten(), t = truth.to(torch::kLong).flatten();
  if (p.numel() && (std::min(p.min().item<int64_t>(), t.min().item<int64_t>()) < 0 ||
                    std::max(p.max().item<int64_t>(), t.max().item<int64_t>()) >= classes))
    throw InputError("parsing_confusion: labels must lie in [0, classes)");
  return torch::bincount(t * classes + p, {}, classes * classes).view({classes, classes});
}

ParsingMetrics parsing_metrics(const torch::Tensor& confusion) {
  if (confusion.dim() != 2 || confusion.size(0) != confusion.size(1))
    throw InputError("parsing_metrics: expected a square confusion matrix");
  auto c = confusion.to(torch::kFloat64);
  auto tp = c.diagonal(), truth = c.sum(1), predicted = c.sum(0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto seen = (truth + predicted) > 0;
  // eq. 9 with precision = tp / predicted, recall = tp / truth: F1 = 2 tp / (truth + predicted)
  auto f1 = torch::where(seen, 2 * tp / (truth + predicted).clamp_min(1), torch::full_like(tp, nan));
  // eq. 10 per class: p_ii / (sum_j p_ij + sum_j p_ji - p_ii)
  auto iou = torch::where(seen, tp / (truth + predicted - tp).clamp_min(1), torch::full_like(tp, nan));
  const double total = c.sum().item<double>();
  return {f1, iou, seen.any().item<bool>() ? iou.index({seen}).mean().item<double>() : nan,
          total > 0 ? tp.sum().item<double>() / total : nan};  // eq. 11
}

double train_parsing_epoch(PalsyParsingNetImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& images,
                           const torch::Tensor& labels, int64_t batch_size, uint64_t seed, double boundary_weight,
                           const ParsingProgress& progress) {
  if (images.dim() != 4 || labels.dim() != 3 || images.size(0) != labels.size(0))
    throw InputError("parsing training: expected images (N, 3, H, W) and label maps (N, H, W)");
  net.train();
  return run_seeded_epoch(images.size(0), batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto out = net.forward(images.index_select(0, index));
    optimizer.zero_grad();
    auto loss = parsing_loss(out, labels.index_select(0, index), boundary_weight);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

}  // namespace facenorm
