// The learned normalization networks at the C++ level: shapes, ranges, a training epoch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/face_autoencoder.hpp"

namespace facenorm {
namespace {

TEST(FaceAutoencoder, ReconstructsInRangeAndLearns) {
  torch::manual_seed(0);
  FaceAutoencoder net(4, 8);
  auto faces = torch::nn::functional::interpolate(
      torch::rand({8, 3, 4, 4}), torch::nn::functional::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{128, 128})
                                     .mode(torch::kBilinear)
                                     .align_corners(false));
  auto out = net->forward(faces);
  ASSERT_EQ(out.sizes(), faces.sizes());
  EXPECT_GE(out.min().item<float>(), 0.f);
  EXPECT_LE(out.max().item<float>(), 1.f);
  EXPECT_EQ(net->encode(faces).sizes(), (std::vector<int64_t>{8, 8}));
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(3e-3));
  int64_t calls = 0;
  double first = train_autoencoder_epoch(*net, adam, faces, 4, 0, [&](int64_t, double) { ++calls; });
  double last = first;
  for (int epoch = 1; epoch < 30; ++epoch) last = train_autoencoder_epoch(*net, adam, faces, 4, uint64_t(epoch));
  EXPECT_EQ(calls, 2);  // one progress call per batch
  EXPECT_LT(last, first);
  EXPECT_THROW(net->forward(torch::rand({1, 3, 64, 64})), InputError);
}

TEST(FaceRestoration, KeepsTheShapeAndRefusesMismatchedInputs) {
  FaceRestoration net(4);
  auto degraded = torch::rand({2, 3, 32, 32});
  auto out = net->forward(degraded, coarse_structure(degraded, 8));
  ASSERT_EQ(out.sizes(), degraded.sizes());
  EXPECT_GE(out.min().item<float>(), 0.f);
  EXPECT_LE(out.max().item<float>(), 1.f);
  EXPECT_THROW(net->forward(degraded, torch::rand({2, 3, 16, 16})), InputError);
  EXPECT_THROW(net->forward(torch::rand({2, 3, 30, 30}), torch::rand({2, 3, 30, 30})), InputError);
  EXPECT_THROW(net->forward(torch::rand({2, 3, 36, 36}), torch::rand({2, 3, 36, 36})), InputError);  // not x8
  auto flat = torch::full({1, 3, 32, 32}, 0.25f);
  EXPECT_TRUE(torch::allclose(coarse_structure(flat, 8), flat, 1e-6, 1e-6));
}

}  // namespace
}  // namespace facenorm
