// The dlib side of the ResNet importer: dlib's residual building blocks (as written in dlib's
// examples), and templates that deserialize such a network with dlib's own code, copy out its
// parameters and run dlib's own forward pass. Only the dlib_resnet34_*_dlib.cpp files include
// this: dlib's DNN templates are slow to compile and must not meet libtorch's headers.
#pragma once

#include <dlib/dnn.h>

#include <algorithm>
#include <filesystem>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "facenorm/errors.hpp"
#include "facenorm/nets/dlib_resnet_weights.hpp"

namespace facenorm::dlib_resnet {

// ---- dlib's ResNet vocabulary, as in examples/dnn_imagenet_ex.cpp ----
template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename SUBNET>
using residual = dlib::add_prev1<Block<N, BN, 1, dlib::tag1<SUBNET>>>;

// The shortcut is the block's input average-pooled 2x2; add_prev zero-pads the narrower tensor.
template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down =
    dlib::add_prev2<dlib::avg_pool<2, 2, 2, 2, dlib::skip1<dlib::tag2<Block<N, BN, 2, dlib::tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<dlib::con<N, 3, 3, 1, 1, dlib::relu<BN<dlib::con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET>
using ares = dlib::relu<residual<block, N, dlib::affine, SUBNET>>;
template <int N, typename SUBNET>
using ares_down = dlib::relu<residual_down<block, N, dlib::affine, SUBNET>>;

// dlib::layer<i>(net) counts every layer, tags and skips included, from the loss layer (0) down.
constexpr size_t kLayersPerBlock = 8;       // relu add_prev affine con relu affine con tag1
constexpr size_t kLayersPerDownBlock = 11;  // ... plus avg_pool skip1 tag2
constexpr size_t stem_relu_index(size_t num_layers) { return num_layers - 4; }  // above input con affine
constexpr size_t stage_top_index(size_t below_top, size_t blocks, bool downsample) {
  return below_top - (downsample ? kLayersPerDownBlock + kLayersPerBlock * (blocks - 1) : kLayersPerBlock * blocks);
}

// ---- copying parameters out ----
inline DlibParameter copy_tensor(const dlib::tensor& t) {
  DlibParameter p;
  p.shape = {t.num_samples(), t.k(), t.nr(), t.nc()};
  p.values.assign(t.host(), t.host() + t.size());
  return p;
}

// A visitor for dlib::visit_computational_layers: records every parameterised layer in visiting
// order (top-down). Any other layer kind with parameters is an error, not silently skipped.
struct ParameterCollector {
  DlibResNetWeights* out;
  std::string* error;

  template <long NF, long NR, long NC, int SY, int SX, int PY, int PX>
  void operator()(const dlib::con_<NF, NR, NC, SY, SX, PY, PX>& l) const {
    const dlib::tensor& p = l.get_layer_params();
    const int64_t filters = l.num_filters();
    const int64_t bias = l.bias_is_disabled() ? 0 : filters;
    const int64_t weights = static_cast<int64_t>(p.size()) - bias;
    if (SY != SX || l.padding_y() != l.padding_x() || weights <= 0 || weights % (filters * NR * NC) != 0) {
      *error = "unexpected convolution layer";
      return;
    }
    DlibConvolution c;
    c.filters.shape = {filters, weights / (filters * NR * NC), NR, NC};
    c.filters.values.assign(p.host(), p.host() + weights);
    c.bias.assign(p.host() + weights, p.host() + weights + bias);
    c.stride = SY;
    c.padding = l.padding_y();
    out->convolutions.push_back(std::move(c));
  }

  void operator()(const dlib::affine_& l) const {
    if (l.is_disabled() || l.get_mode() != dlib::CONV_MODE) {
      *error = "affine layer not in per-channel (CONV_MODE) form";
      return;
    }
    // The alias instances own the views: keep them alive while reading (.get() refers into them).
    const auto gamma = l.get_gamma(), beta = l.get_beta();
    const dlib::tensor& g = gamma.get();
    const dlib::tensor& b = beta.get();
    out->affines.push_back({std::vector<float>(g.host(), g.host() + g.size()),
                            std::vector<float>(b.host(), b.host() + b.size())});
  }

  template <unsigned long N, dlib::fc_bias_mode Mode>
  void operator()(const dlib::fc_<N, Mode>& l) const {
    const auto weights = l.get_weights();
    const dlib::tensor& w = weights.get();  // (inputs, outputs) row-major: dlib computes x * W
    const int64_t inputs = w.num_samples(), outputs = w.k();
    out->fc_weight.shape = {outputs, inputs};
    out->fc_weight.values.resize(w.size());
    for (int64_t i = 0; i < inputs; ++i)
      for (int64_t o = 0; o < outputs; ++o) out->fc_weight.values[o * inputs + i] = w.host()[i * outputs + o];
    if constexpr (Mode == dlib::FC_HAS_BIAS) {
      if (!l.bias_is_disabled()) {
        const auto biases = l.get_biases();
        const dlib::tensor& b = biases.get();
        out->fc_bias.assign(b.host(), b.host() + b.size());
      }
    }
  }

  template <typename Other>
  void operator()(const Other& l) const {
    if (l.get_layer_params().size() != 0) *error = "unexpected layer with parameters";
  }
};

// dlib's message on one line, without its "error reading <file>" preamble (the path is named anyway).
inline std::string dlib_reason(std::string message) {
  const size_t error = message.find("ERROR: ");
  if (error != std::string::npos) message = message.substr(error + 7);
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

// Deserializes `net` (and the label list that follows it when `labels` is given) from `path`.
template <typename Net>
void deserialize_or_throw(const std::string& path, const DlibResNetSpec& spec, Net& net,
                          std::vector<std::string>* labels) {
  if (!std::filesystem::is_regular_file(path)) throw MissingFileError(path + ": model file not found");
  try {
    auto in = dlib::deserialize(path);
    in >> net;
    if (labels) in >> *labels;
  } catch (const dlib::serialization_error& e) {
    throw_not_this_network(path, spec, "dlib cannot read it as that network: " + dlib_reason(e.what()));
  } catch (const std::bad_alloc&) {
    throw_not_this_network(path, spec, "its stored sizes are nonsense (corrupt, or another format)");
  } catch (const std::exception& e) {
    throw_not_this_network(path, spec, dlib_reason(e.what()));
  }
}

template <typename Net>
DlibResNetWeights collect_weights(const std::string& path, const DlibResNetSpec& spec, Net& net) {
  DlibResNetWeights w;
  w.spec = spec;
  const auto& input = dlib::layer<Net::num_layers - 1>(net);
  w.mean_rgb = {input.get_avg_red(), input.get_avg_green(), input.get_avg_blue()};
  std::string error;
  dlib::visit_computational_layers(net, ParameterCollector{&w, &error});
  if (!error.empty()) throw_not_this_network(path, spec, error);
  // Visited from the loss layer down; the libtorch module consumes them input first.
  std::reverse(w.convolutions.begin(), w.convolutions.end());
  std::reverse(w.affines.begin(), w.affines.end());
  check_weights_match_spec(w, path);
  return w;
}

// dlib's own forward pass on N interleaved RGB images, keeping the output of layers I... .
// With `use_input_layer`, dlib's input layer converts the images (its sized variant accepts one
// size only); otherwise the same (pixel - mean) / 256 is written here and dlib runs every
// layer above the input, which lets other sizes (odd/even shape rules) be checked too.
template <size_t... I, typename Net>
DlibReferenceOutput reference_forward(Net& net, const uint8_t* rgb, int64_t n, int64_t rows, int64_t cols,
                                      bool use_input_layer) {
  static_assert((std::is_same_v<typename std::remove_reference_t<decltype(dlib::layer<I>(net))>::layer_details_type,
                                dlib::relu_> && ...),
                "feature layers must be the relu ending the stem or a stage");
  DlibReferenceOutput out;
  if (use_input_layer) {
    std::vector<dlib::matrix<dlib::rgb_pixel>> images(static_cast<size_t>(n));
    for (auto& image : images) {
      image.set_size(rows, cols);
      for (long r = 0; r < rows; ++r)
        for (long c = 0; c < cols; ++c, rgb += 3) image(r, c) = dlib::rgb_pixel(rgb[0], rgb[1], rgb[2]);
    }
    out.output = copy_tensor(net.subnet()(images.begin(), images.end()));
  } else {
    const auto& input = dlib::layer<Net::num_layers - 1>(net);
    const float mean[3] = {input.get_avg_red(), input.get_avg_green(), input.get_avg_blue()};
    dlib::resizable_tensor x(n, 3, rows, cols);
    float* p = x.host();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < 3; ++ch)
        for (int64_t px = 0; px < rows * cols; ++px)
          *p++ = (static_cast<float>(rgb[(i * rows * cols + px) * 3 + ch]) - mean[ch]) / 256.0;
    out.output = copy_tensor(net.subnet().forward(x));
  }
  out.features = {copy_tensor(dlib::layer<I>(net).get_output())...};
  return out;
}

}  // namespace facenorm::dlib_resnet
