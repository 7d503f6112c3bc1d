// Heatmap encoding and decoding, the loss of eq. 2 and a training epoch of the cascaded FCN.
#include "facenorm/errors.hpp"
#include "facenorm/nets/cascaded_fcn.hpp"
#include "seeded_epoch.hpp"

namespace facenorm {
namespace {

void check_points(const torch::Tensor& points) {
  if (points.dim() != 3 || points.size(2) != 2 || points.scalar_type() != torch::kFloat32)
    throw InputError("landmarks: expected a float32 (N, P, 2) tensor of (x, y) pixels");
  if (!torch::isfinite(points).all().item<bool>()) throw InputError("landmarks: expected finite values");
}

}  // namespace

torch::Tensor landmark_heatmaps(const torch::Tensor& points, int64_t side, double sigma) {
  check_points(points);
  if (side < 1 || !(sigma > 0)) throw InputError("heatmaps: expected side >= 1 and sigma > 0");
  auto grid = torch::arange(side, torch::kFloat32);
  auto dx = grid.view({1, 1, 1, side}) - points.select(2, 0).unsqueeze(-1).unsqueeze(-1);
  auto dy = grid.view({1, 1, side, 1}) - points.select(2, 1).unsqueeze(-1).unsqueeze(-1);
  // separable: exp(-(dx^2 + dy^2) / 2s^2) = exp(-dx^2 / 2s^2) * exp(-dy^2 / 2s^2)
  const double k = -1.0 / (2 * sigma * sigma);
  return (dy.square() * k).exp() * (dx.square() * k).exp();
}

torch::Tensor heatmap_landmarks(const torch::Tensor& heatmaps, int64_t top_k, bool weighted) {
  if (heatmaps.dim() != 4 || heatmaps.scalar_type() != torch::kFloat32)
    throw InputError("heatmaps: expected a float32 (N, P, H, W) tensor");
  const int64_t n = heatmaps.size(0), p = heatmaps.size(1), h = heatmaps.size(2), w = heatmaps.size(3);
  if (top_k < 1 || top_k > h * w)
    throw InputError("heatmaps: top_k must be in [1, H * W], got " + std::to_string(top_k));
  auto [values, index] = heatmaps.reshape({n, p, h * w}).topk(top_k, -1);
  auto xs = (index % w).to(torch::kFloat32), ys = index.div(w, "floor").to(torch::kFloat32);
  if (!weighted) return torch::stack({xs.mean(-1), ys.mean(-1)}, -1);
  auto weight = values - values.narrow(-1, top_k - 1, 1);  // the k-th largest gets weight 0
  auto total = weight.sum(-1, true);
  auto flat = total <= 0;  // a flat top: fall back to the plain mean
  weight = torch::where(flat, torch::ones_like(weight), weight);
  total = weight.sum(-1, true);
  return torch::stack({(xs * weight).sum(-1, true) / total, (ys * weight).sum(-1, true) / total}, -1).squeeze(-2);
}

torch::Tensor cascaded_fcn_loss(const torch::Tensor& stage1, const torch::Tensor& stage2, const torch::Tensor& targets) {
  if (stage1.sizes() != targets.sizes() || stage2.sizes() != targets.sizes())
    throw InputError("FCN loss: stage outputs and targets must have the same (N, P, H, W) shape");
  const double maps = double(targets.size(0) * targets.size(1));
  return ((stage1 - targets).square().sum() + (stage2 - targets).square().sum()) / maps;
}

double train_cascaded_fcn_epoch(CascadedFcnImpl& net, torch::optim::Adam& optimizer, const torch::Tensor& crops,
                                const torch::Tensor& points, int64_t batch_size, uint64_t seed, double sigma,
                                const FcnProgress& progress) {
  check_points(points);
  const int64_t n = crops.size(0);
  if (points.size(0) != n || points.size(1) != net.points)
    throw InputError("FCN training: expected one (" + std::to_string(net.points) + ", 2) landmark set per crop");
  net.train();
  return run_seeded_epoch(n, batch_size, seed, progress, [&](const torch::Tensor& index) {
    auto [h1, h2] = net.forward(crops.index_select(0, index));
    auto targets = landmark_heatmaps(points.index_select(0, index), CascadedFcnImpl::kSide, sigma);
    optimizer.zero_grad();
    auto loss = cascaded_fcn_loss(h1, h2, targets);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  });
}

}  // namespace facenorm
