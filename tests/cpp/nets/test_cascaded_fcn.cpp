// The cascaded FCN landmarker at the C++ level: shapes, heatmap round trip, eq. 2, training.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/cascaded_fcn.hpp"

namespace facenorm {
namespace {

TEST(CascadedFcn, BothStagesGiveOneMapPerPointAtInputSize) {
  torch::manual_seed(0);
  CascadedFcn net(5, 16);
  auto [h1, h2] = net->forward(torch::rand({2, 1, 96, 96}));
  EXPECT_EQ(h1.sizes(), (std::vector<int64_t>{2, 5, 96, 96}));
  EXPECT_EQ(h2.sizes(), h1.sizes());
  EXPECT_THROW(net->forward(torch::rand({2, 3, 96, 96})), InputError);
  EXPECT_THROW(net->forward(torch::rand({2, 1, 64, 64})), InputError);
  EXPECT_THROW(LandmarkFcn(1, 5, FcnWidths::divided_by(16))->forward(torch::rand({1, 1, 40, 40})), InputError);
  EXPECT_THROW(FcnWidths::divided_by(0), InputError);
  auto paper = FcnWidths::divided_by(1);
  EXPECT_EQ(paper.b1, 64);
  EXPECT_EQ(paper.b6, 4096);
}

TEST(LandmarkFcn, UpsamplingEqualsTheTransposedConvolutionItReplaces) {
  torch::manual_seed(1);
  torch::nn::ConvTranspose2d up(torch::nn::ConvTranspose2dOptions(5, 3, 4).stride(4));
  auto x = torch::randn({2, 5, 3, 3});
  EXPECT_TRUE(torch::allclose(block_upsample(up, x), up->forward(x), 1e-5, 1e-5));
  torch::nn::ConvTranspose2d grouped(torch::nn::ConvTranspose2dOptions(6, 6, 8).stride(8).groups(3));
  EXPECT_THROW(block_upsample(grouped, torch::randn({2, 6, 3, 3})), InputError);
  torch::nn::ConvTranspose2d overlapping(torch::nn::ConvTranspose2dOptions(5, 3, 4).stride(2));
  EXPECT_THROW(block_upsample(overlapping, x), InputError);
}

TEST(LandmarkHeatmaps, DecodeRecoversSubPixelPoints) {
  auto points = torch::tensor({{{30.25f, 40.5f}, {70.7f, 20.1f}, {48.0f, 48.0f}}});
  auto maps = landmark_heatmaps(points, 96, 5.0);
  EXPECT_NEAR(maps.max().item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(maps[0][2][48][48].item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(maps[0][2][48][53].item<float>(), std::exp(-0.5f), 1e-6);  // one sigma away
  auto mean = heatmap_landmarks(maps, 25, false);
  auto weighted = heatmap_landmarks(maps, 25, true);
  EXPECT_LT((mean - points).abs().max().item<float>(), 0.35f);
  EXPECT_LT((weighted - points).abs().max().item<float>(), 0.06f);
  EXPECT_THROW(heatmap_landmarks(maps, 0, false), InputError);
  EXPECT_THROW(landmark_heatmaps(torch::zeros({1, 3}), 96, 5.0), InputError);
}

TEST(CascadedFcnLoss, IsEquationTwo) {
  auto t = torch::zeros({2, 3, 4, 4});
  auto a = torch::full({2, 3, 4, 4}, 0.5f), b = torch::full({2, 3, 4, 4}, 1.0f);
  // per map: 16 * 0.25 and 16 * 1, averaged over 6 maps each
  EXPECT_NEAR(cascaded_fcn_loss(a, b, t).item<double>(), 4.0 + 16.0, 1e-6);
}

TEST(CascadedFcnTraining, LowersTheLossAndIsSeeded) {
  auto run = [] {
    torch::manual_seed(3);
    CascadedFcn net(4, 16);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(3e-3));
    auto crops = torch::rand({8, 1, 96, 96});
    auto points = (torch::rand({1, 4, 2}) * 60 + 18).expand({8, 4, 2}).contiguous();  // learnable: one layout
    std::vector<double> losses;
    for (int epoch = 0; epoch < 10; ++epoch)
      losses.push_back(train_cascaded_fcn_epoch(*net, adam, crops, points, 2, uint64_t(epoch)));
    return losses;
  };
  auto first = run(), second = run();
  EXPECT_LT(first.back(), 0.6 * first.front());
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace facenorm
