#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Core>

#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"

namespace facenorm {
namespace {

void check_vector(const cv::Mat& m, int length, const char* name) {
  if (m.type() != CV_32F || !m.isContinuous() || int(m.total()) != length)
    throw InputError(std::string(name) + ": expected " + std::to_string(length) + " contiguous float32 values, got " +
                     std::to_string(m.total()) + " of type " + std::to_string(m.type()));
}

double tukey_weight(double u, double c) {
  if (!(u < c)) return 0.0;
  double t = 1.0 - (u / c) * (u / c);
  return t * t;
}

}  // namespace

RobustProjection robust_subspace_projection(const cv::Mat& x, const cv::Mat& mean, const cv::Mat& basis,
                                            const cv::Mat& stddev, const cv::Mat& sigma,
                                            const RobustProjectionOptions& options) {
  const int g = options.group;
  if (g < 1) throw InputError("group: expected 1 or more values per weight");
  if (basis.type() != CV_32F || basis.dims != 2 || !basis.isContinuous())
    throw InputError("basis: expected a contiguous float32 K x D matrix");
  const int K = basis.rows, D = basis.cols;
  if (D % g != 0) throw InputError("basis: D = " + std::to_string(D) + " is not a multiple of group " + std::to_string(g));
  check_vector(x, D, "x");
  check_vector(mean, D, "mean");
  check_vector(stddev, K, "stddev");
  check_vector(sigma, D / g, "sigma");
  if (!(options.tukey_c > 0) || !(options.coefficient_bound > 0) || options.max_iterations < 1)
    throw InputError("options: tukey_c and coefficient_bound must be > 0, max_iterations >= 1");
  const float* xv = x.ptr<float>();
  const float* sv = sigma.ptr<float>();
  const float* sd = stddev.ptr<float>();
  for (int i = 0; i < D; ++i)
    if (!std::isfinite(xv[i])) throw InputError("x: expected finite values (index " + std::to_string(i) + ")");
  for (int i = 0; i < D / g; ++i)
    if (!(sv[i] > 0)) throw InputError("sigma: expected positive values (index " + std::to_string(i) + ")");

  RobustProjection out;
  // Eigen maps of the caller's buffers: the two products per iteration are vectorised GEMVs.
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMajor> B(basis.ptr<float>(), K, D);
  Eigen::Map<const Eigen::VectorXf> xs(xv, D), mu(mean.ptr<float>(), D);
  Eigen::VectorXf c = Eigen::VectorXf::Zero(K), previous(K), filled = xs, recon(D);
  std::vector<float> w(size_t(D / g), 1.f);
  auto project = [&]() {  // c = clamp(B (filled - mean)); returns the largest move in stddev units
    previous = c;
    c.noalias() = B * (filled - mu);
    double largest_move = 0;
    for (int k = 0; k < K; ++k) {
      float bound = float(options.coefficient_bound) * sd[k];
      c[k] = std::max(-bound, std::min(bound, c[k]));
      largest_move = std::max(largest_move, double(std::abs(c[k] - previous[k])) / std::max(1e-12f, sd[k]));
    }
    recon = mu;
    recon.noalias() += B.transpose() * c;
    return largest_move;
  };
  project();  // the ordinary (bounded) projection starts the iterations
  int it = 0;
  for (; it < options.max_iterations; ++it) {
    const float* rv = recon.data();
    float* fv = filled.data();
    for (int p = 0; p < D / g; ++p) {
      double e2 = 0;
      for (int j = 0; j < g; ++j) {
        double r = double(xv[p * g + j]) - rv[p * g + j];
        e2 += r * r;
      }
      float wp = float(tukey_weight(std::sqrt(e2 / g) / sv[p], options.tukey_c));
      w[size_t(p)] = wp;
      for (int j = 0; j < g; ++j) fv[p * g + j] = wp * xv[p * g + j] + (1.f - wp) * rv[p * g + j];
    }
    double move = project();
    if (move < options.tolerance) {
      ++it;
      break;
    }
  }
  out.iterations = it;
  out.coefficients.assign(c.data(), c.data() + K);
  out.reconstruction.assign(recon.data(), recon.data() + D);
  out.weights = std::move(w);
  return out;
}

}  // namespace facenorm
