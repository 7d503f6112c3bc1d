// dlib's side of the ResNet-34 ImageNet classifier: the network type exactly as dlib's
// examples/dnn_imagenet_ex.cpp declares it (the file can only be read through that type),
// its parameters copied out, and dlib's own forward pass for validation.
#include <memory>

#include "dlib_resnet_reader.hpp"  // private to the importers

namespace facenorm {
namespace {

using namespace dlib_resnet;

// clang-format off
using imagenet_resnet34 = dlib::loss_multiclass_log<dlib::fc<1000, dlib::avg_pool_everything<
    ares<512, ares<512, ares_down<512,
    ares<256, ares<256, ares<256, ares<256, ares<256, ares_down<256,
    ares<128, ares<128, ares<128, ares_down<128,
    ares<64, ares<64, ares<64,
    dlib::max_pool<3, 3, 2, 2, dlib::relu<dlib::affine<dlib::con<64, 7, 7, 2, 2,
    dlib::input_rgb_image_sized<227>>>>>>>>>>>>>>>>>>>>>>>>;
// clang-format on

constexpr size_t kLayers = imagenet_resnet34::num_layers;
constexpr size_t kStem = stem_relu_index(kLayers);
constexpr size_t kStage1 = stage_top_index(kStem - 1, 3, false);  // - 1: the max pool
constexpr size_t kStage2 = stage_top_index(kStage1, 4, true);
constexpr size_t kStage3 = stage_top_index(kStage2, 6, true);
constexpr size_t kStage4 = stage_top_index(kStage3, 3, true);
static_assert(kStage4 == 3, "loss, fc and avg_pool_everything sit above the last stage");

}  // namespace

DlibResNetWeights read_dlib_resnet34_imagenet(const std::string& path) {
  auto net = std::make_unique<imagenet_resnet34>();
  std::vector<std::string> labels;
  dlib_resnet::deserialize_or_throw(path, dlib_resnet34_imagenet_spec(), *net, &labels);
  DlibResNetWeights w = dlib_resnet::collect_weights(path, dlib_resnet34_imagenet_spec(), *net);
  w.labels = std::move(labels);
  return w;
}

DlibReferenceOutput dlib_resnet34_imagenet_reference(const std::string& path, const uint8_t* rgb, int64_t n,
                                                     int64_t rows, int64_t cols) {
  const int64_t min_side = dlib_resnet_min_input_side(dlib_resnet34_imagenet_spec());
  if (n < 1 || std::min(rows, cols) < min_side)
    throw InputError("dlib's ResNet-34: expected at least one image of at least " + std::to_string(min_side) + "x" +
                     std::to_string(min_side) + " pixels");
  auto net = std::make_unique<imagenet_resnet34>();
  dlib_resnet::deserialize_or_throw(path, dlib_resnet34_imagenet_spec(), *net, nullptr);
  // 227x227 goes through dlib's input layer; other sizes skip only that layer.
  const bool fixed_size = rows == 227 && cols == 227;
  return dlib_resnet::reference_forward<kStem, kStage1, kStage2, kStage3, kStage4>(*net, rgb, n, rows, cols,
                                                                                    fixed_size);
}

}  // namespace facenorm
