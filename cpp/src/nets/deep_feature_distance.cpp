#include "facenorm/nets/deep_feature_distance.hpp"

#include <algorithm>

#include <torch/torch.h>

#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

namespace F = torch::nn::functional;

std::vector<size_t> layer_indices(const DlibResNetImpl& net, const std::vector<std::string>& layers) {
  const std::vector<std::string> names = net.feature_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  if (layers.empty()) throw InputError("deep_feature_distance: no layers given; choose from " + known);
  std::vector<size_t> indices;
  for (const auto& layer : layers) {
    auto it = std::find(names.begin(), names.end(), layer);
    if (it == names.end()) throw InputError("deep_feature_distance: unknown layer '" + layer + "'; choose from " + known);
    indices.push_back(static_cast<size_t>(it - names.begin()));
  }
  return indices;
}

}  // namespace

torch::Tensor unit_normalize_channels(const torch::Tensor& features, double eps) {
  // sqrt's gradient is infinite at 0, and after a relu a position can be all zeros: the clamp
  // keeps that gradient at 0 instead of NaN. Values change only where |x|^2 < 1e-30, where
  // x / (|x| + eps) is below 1e-5 either way.
  torch::Tensor norm = features.pow(2).sum(1, true).clamp_min(1e-30).sqrt();
  return features / (norm + eps);
}

torch::Tensor deep_feature_distance(DlibResNetImpl& net, const torch::Tensor& x, const torch::Tensor& y,
                                    const std::vector<std::string>& layers) {
  if (x.sizes() != y.sizes())
    throw InputError("deep_feature_distance: the two image batches differ in shape");
  const std::vector<size_t> indices = layer_indices(net, layers);
  const int64_t depth = static_cast<int64_t>(*std::max_element(indices.begin(), indices.end())) + 1;
  // Two passes rather than one batch: identical inputs then give bitwise identical features
  // (a zero map), and a fixed target needs no graph.
  const std::vector<torch::Tensor> fx = net.features(x, depth);
  const std::vector<torch::Tensor> fy = net.features(y, depth);
  const std::vector<int64_t> size{x.size(2), x.size(3)};
  torch::Tensor total;
  for (size_t i : indices) {
    torch::Tensor d = (unit_normalize_channels(fx[i]) - unit_normalize_channels(fy[i])).pow(2).mean(1, true);
    d = F::interpolate(d, F::InterpolateFuncOptions().size(size).mode(torch::kBilinear).align_corners(false));
    total = total.defined() ? total + d : d;
  }
  return total / static_cast<double>(indices.size());
}

}  // namespace facenorm
