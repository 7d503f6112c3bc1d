// A seeded pass over n samples in random order, in batches: the loop every trainer of
// facenorm_nets shares. step(index) runs one batch and returns its mean loss.
#pragma once

#include <functional>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include "facenorm/errors.hpp"

namespace facenorm {

template <typename Step>
double run_seeded_epoch(int64_t n, int64_t batch_size, uint64_t seed,
                        const std::function<void(int64_t, double)>& progress, Step step) {
  if (n < 1 || batch_size < 1) throw InputError("training: expected at least one sample and batch size >= 1");
  auto generator = at::detail::createCPUGenerator(seed);
  auto order = torch::randperm(n, generator, torch::TensorOptions().dtype(torch::kLong));
  double total = 0;
  int64_t done = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    auto index = order.slice(0, start, std::min(n, start + batch_size));
    total += step(index) * double(index.size(0));
    done += index.size(0);
    if (progress) progress(done, total / double(done));
  }
  return total / double(n);
}

}  // namespace facenorm
