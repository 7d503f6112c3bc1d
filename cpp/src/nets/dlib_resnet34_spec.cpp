// The two dlib ResNets facenorm imports, and the check that a file's parameters fit one.
#include <algorithm>
#include <string>

#include "facenorm/errors.hpp"
#include "facenorm/nets/dlib_resnet_weights.hpp"

namespace facenorm {

DlibResNetSpec dlib_resnet34_imagenet_spec() {
  DlibResNetSpec s;
  s.name = "ResNet-34 ImageNet classifier (resnet34_1000_imagenet_classifier.dnn)";
  s.stem_channels = 64;
  s.stages = {{64, 3, false}, {128, 4, true}, {256, 6, true}, {512, 3, true}};
  s.outputs = 1000;
  s.fc_bias = true;
  s.fixed_input_side = 227;  // input_rgb_image_sized<227>
  return s;
}

DlibResNetSpec dlib_face_resnet_spec() {
  DlibResNetSpec s;
  s.name = "face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat)";
  s.stem_channels = 32;
  s.stages = {{32, 3, false}, {64, 4, true}, {128, 3, true}, {256, 3, true}, {256, 1, true}};
  s.outputs = 128;
  s.fc_bias = false;
  s.fixed_input_side = 0;  // input_rgb_image: any size (dlib's face chips are 150x150)
  return s;
}

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// Output side of a window sliding without padding, or 0 when the window does not fit.
int64_t window_output_side(int64_t side, int64_t window, int64_t stride) {
  return side < window ? 0 : (side - window) / stride + 1;
}

// Side of the last stage's activations for a square input, 0 when some layer cannot run.
int64_t last_stage_side(const DlibResNetSpec& spec, int64_t side) {
  side = window_output_side(window_output_side(side, 7, 2), 3, 2);  // stem conv, max pool
  for (const auto& stage : spec.stages) {
    if (!stage.downsample || side == 0) continue;
    const int64_t block = window_output_side(side, 3, 2), shortcut = window_output_side(side, 2, 2);
    side = block > 0 && shortcut > 0 ? std::max(block, shortcut) : 0;
  }
  return side;
}

}  // namespace

int64_t dlib_resnet_min_input_side(const DlibResNetSpec& spec) {
  int64_t side = 7;
  while (last_stage_side(spec, side) < 1) ++side;
  return side;
}

void throw_not_this_network(const std::string& path, const DlibResNetSpec& spec, const std::string& why) {
  throw ModelError(path + ": not dlib's " + spec.name + "; " + why);
}

void check_weights_match_spec(const DlibResNetWeights& w, const std::string& path) {
  const DlibResNetSpec& spec = w.spec;
  auto fail = [&](const std::string& why) { throw_not_this_network(path, spec, why); };

  size_t expected = 1;
  for (const auto& stage : spec.stages) expected += 2 * static_cast<size_t>(stage.blocks);
  if (w.convolutions.size() != expected || w.affines.size() != expected)
    fail("expected " + std::to_string(expected) + " convolutions and affine layers, found " +
         std::to_string(w.convolutions.size()) + " and " + std::to_string(w.affines.size()));

  size_t i = 0;
  auto expect_conv = [&](int64_t in, int64_t out, int64_t side, int64_t stride) {
    const DlibConvolution& c = w.convolutions[i];
    const std::vector<int64_t> shape{out, in, side, side};
    const int64_t padding = stride == 1 ? side / 2 : 0;  // dlib's default con_ padding
    if (c.filters.shape != shape || c.stride != stride || c.padding != padding)
      fail("convolution " + std::to_string(i) + " has filters " + shape_text(c.filters.shape) + ", stride " +
           std::to_string(c.stride) + ", padding " + std::to_string(c.padding) + "; expected " + shape_text(shape) +
           ", stride " + std::to_string(stride) + ", padding " + std::to_string(padding));
    if (!c.bias.empty() && static_cast<int64_t>(c.bias.size()) != out) fail("bad convolution bias size");
    const DlibChannelAffine& a = w.affines[i];
    if (static_cast<int64_t>(a.gamma.size()) != out || static_cast<int64_t>(a.beta.size()) != out)
      fail("affine layer " + std::to_string(i) + " does not have " + std::to_string(out) + " channels");
    ++i;
  };

  expect_conv(3, spec.stem_channels, 7, 2);
  int64_t channels = spec.stem_channels;
  for (const auto& stage : spec.stages) {
    for (int64_t b = 0; b < stage.blocks; ++b) {
      expect_conv(channels, stage.channels, 3, (b == 0 && stage.downsample) ? 2 : 1);
      expect_conv(stage.channels, stage.channels, 3, 1);
      channels = stage.channels;
    }
  }
  const std::vector<int64_t> fc_shape{spec.outputs, channels};
  if (w.fc_weight.shape != fc_shape)
    fail("fully connected layer is " + shape_text(w.fc_weight.shape) + ", expected " + shape_text(fc_shape));
  if (spec.fc_bias != !w.fc_bias.empty()) fail(spec.fc_bias ? "fully connected layer has no bias" : "unexpected fc bias");
}

}  // namespace facenorm
