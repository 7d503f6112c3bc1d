// dlib's side of the face recognition ResNet: the network type exactly as dlib's
// examples/dnn_face_recognition_ex.cpp declares it, read with dlib's own code; parameters
// copied out and dlib's own forward pass for validation.
#include <memory>

#include "dlib_resnet_reader.hpp"  // private to the importers

namespace facenorm {
namespace {

using namespace dlib_resnet;

// clang-format off
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using face_resnet = dlib::loss_metric<dlib::fc_no_bias<128, dlib::avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    dlib::max_pool<3, 3, 2, 2, dlib::relu<dlib::affine<dlib::con<32, 7, 7, 2, 2,
    dlib::input_rgb_image>>>>>>>>>>>>;
// clang-format on

constexpr size_t kLayers = face_resnet::num_layers;
constexpr size_t kStem = stem_relu_index(kLayers);
constexpr size_t kStage1 = stage_top_index(kStem - 1, 3, false);
constexpr size_t kStage2 = stage_top_index(kStage1, 4, true);
constexpr size_t kStage3 = stage_top_index(kStage2, 3, true);
constexpr size_t kStage4 = stage_top_index(kStage3, 3, true);
constexpr size_t kStage5 = stage_top_index(kStage4, 1, true);
static_assert(kStage5 == 3, "loss, fc and avg_pool_everything sit above the last stage");

}  // namespace

DlibResNetWeights read_dlib_face_resnet(const std::string& path) {
  auto net = std::make_unique<face_resnet>();
  dlib_resnet::deserialize_or_throw(path, dlib_face_resnet_spec(), *net, nullptr);
  return dlib_resnet::collect_weights(path, dlib_face_resnet_spec(), *net);
}

DlibReferenceOutput dlib_face_resnet_reference(const std::string& path, const uint8_t* rgb, int64_t n, int64_t rows,
                                               int64_t cols) {
  const int64_t min_side = dlib_resnet_min_input_side(dlib_face_resnet_spec());
  if (n < 1 || std::min(rows, cols) < min_side)
    throw InputError("dlib's face ResNet: expected at least one image of at least " + std::to_string(min_side) + "x" +
                     std::to_string(min_side) + " pixels");
  auto net = std::make_unique<face_resnet>();
  dlib_resnet::deserialize_or_throw(path, dlib_face_resnet_spec(), *net, nullptr);
  return dlib_resnet::reference_forward<kStem, kStage1, kStage2, kStage3, kStage4, kStage5>(*net, rgb, n, rows, cols,
                                                                                             true);
}

}  // namespace facenorm
