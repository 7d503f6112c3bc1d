// The libtorch port of dlib's ResNets against dlib's own forward pass, at the C++ level.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../test_support.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/nets/deep_feature_distance.hpp"
#include "facenorm/nets/dlib_resnet.hpp"

namespace facenorm {
namespace {

std::string model_file(const std::string& name) { return std::string(FACENORM_SOURCE_DIR) + "/models/" + name; }

torch::Tensor as_float_nchw(std::vector<uint8_t>& rgb, int64_t rows, int64_t cols) {
  return torch::from_blob(rgb.data(), {1, rows, cols, 3}, torch::kUInt8).permute({0, 3, 1, 2}).to(torch::kFloat32);
}

// A smooth colour pattern with some texture: deterministic, no image files needed.
std::vector<uint8_t> pattern(int64_t rows, int64_t cols) {
  std::vector<uint8_t> rgb(static_cast<size_t>(rows * cols * 3));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t ch = 0; ch < 3; ++ch)
        rgb[static_cast<size_t>((r * cols + c) * 3 + ch)] =
            static_cast<uint8_t>((r * (ch + 1) + c * (3 - ch) + ((r * 7 + c * 13) % 17) * 5) % 256);
  return rgb;
}

torch::Tensor to_torch(const DlibParameter& p) {
  return torch::from_blob(const_cast<float*>(p.values.data()), p.shape, torch::kFloat32).clone();
}

TEST(DlibResNet, MinimumInputSides) {
  EXPECT_EQ(dlib_resnet_min_input_side(dlib_resnet34_imagenet_spec()), 55);
  EXPECT_EQ(dlib_resnet_min_input_side(dlib_face_resnet_spec()), 103);
}

TEST(DlibResNet, Resnet34MatchesDlibOddAndEvenSizes) {
  const std::string path = model_file("resnet34_1000_imagenet_classifier.dnn");
  FACENORM_REQUIRE_FILE(path);
  DlibResNet net = load_dlib_resnet34(path);
  for (int64_t side : {227, 256}) {  // dlib's input layer; then the zero-padded shortcut sum
    std::vector<uint8_t> rgb = pattern(side, side);
    DlibReferenceOutput ref = dlib_resnet34_imagenet_reference(path, rgb.data(), 1, side, side);
    torch::NoGradGuard no_grad;
    torch::Tensor x = as_float_nchw(rgb, side, side);
    std::vector<torch::Tensor> features = net->features(x);
    ASSERT_EQ(features.size(), ref.features.size());
    for (size_t i = 0; i < features.size(); ++i) {
      torch::Tensor theirs = to_torch(ref.features[i]);
      ASSERT_EQ(features[i].sizes(), theirs.sizes()) << i;
      EXPECT_LE((features[i] - theirs).abs().max().item<float>(), 1e-5f * theirs.abs().max().item<float>()) << i;
    }
    torch::Tensor logits = net->head(features.back()), theirs = to_torch(ref.output).flatten(1);
    EXPECT_LE((logits - theirs).abs().max().item<float>(), 1e-5f * theirs.abs().max().item<float>());
  }
}

TEST(DlibResNet, FileErrors) {
  EXPECT_THROW(load_dlib_resnet34(model_file("no_such_file.dnn")), MissingFileError);
  const std::string face = model_file("dlib_face_recognition_resnet_model_v1.dat");
  FACENORM_REQUIRE_FILE(face);
  EXPECT_THROW(load_dlib_resnet34(face), ModelError);
}

TEST(DeepFeatureDistance, ZeroForIdenticalAndFiniteGradients) {
  const std::string path = model_file("resnet34_1000_imagenet_classifier.dnn");
  FACENORM_REQUIRE_FILE(path);
  DlibResNet net = load_dlib_resnet34(path);
  std::vector<uint8_t> rgb = pattern(96, 96);
  torch::Tensor x = as_float_nchw(rgb, 96, 96);
  const std::vector<std::string> layers = net->feature_names();
  torch::Tensor same = deep_feature_distance(*net, x, x.clone(), layers);
  EXPECT_EQ(same.sizes(), torch::IntArrayRef({1, 1, 96, 96}));
  EXPECT_EQ(same.abs().max().item<float>(), 0.0f);
  torch::Tensor black = torch::zeros({1, 3, 96, 96}, torch::requires_grad());
  deep_feature_distance(*net, black, x, layers).mean().backward();
  EXPECT_TRUE(torch::isfinite(black.grad()).all().item<bool>());
  EXPECT_GT(black.grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace facenorm
