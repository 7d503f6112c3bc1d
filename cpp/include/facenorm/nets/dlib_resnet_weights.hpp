// dlib's ResNets described in plain C++: the architecture and every parameter, copied out of a
// dlib model file. This is the only type shared by the dlib side (which must see dlib's DNN
// headers and the network's template type) and the libtorch side (which must not: the two
// libraries compile slowly together and share macro names), so it holds no dlib or torch types.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace facenorm {

// One group of residual blocks of equal width. A downsampling stage's first block has a
// stride-2 convolution and a 2x2 average-pooled shortcut (dlib's ares_down).
struct DlibResNetStage {
  int64_t channels = 0;
  int64_t blocks = 0;
  bool downsample = false;
};

struct DlibResNetSpec {
  std::string name;            // what the file is, for messages: "ResNet-34 ImageNet classifier"
  int64_t stem_channels = 0;   // the 7x7 stride-2 convolution before the 3x3 stride-2 max pool
  std::vector<DlibResNetStage> stages;
  int64_t outputs = 0;         // of the final fully connected layer
  bool fc_bias = true;
  int64_t fixed_input_side = 0;  // dlib's input layer accepts only this size (0: any size)
};

// dlib's ResNet-34 ImageNet classifier (examples/dnn_imagenet_ex.cpp, 1000 classes, 227x227 input).
DlibResNetSpec dlib_resnet34_imagenet_spec();
// dlib's face recognition ResNet (examples/dnn_face_recognition_ex.cpp, 128-D descriptor).
DlibResNetSpec dlib_face_resnet_spec();

// The smallest image side every layer can run on (dlib's pools and unpadded stride-2
// convolutions need their window to fit).
int64_t dlib_resnet_min_input_side(const DlibResNetSpec& spec);

struct DlibParameter {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct DlibConvolution {
  DlibParameter filters;       // (out, in, rows, cols), the layout of torch's Conv2d weight
  std::vector<float> bias;     // empty when the layer has none
  int64_t stride = 1;
  int64_t padding = 0;
};

struct DlibChannelAffine {     // batch norm folded for inference: y = gamma * x + beta per channel
  std::vector<float> gamma;
  std::vector<float> beta;
};

struct DlibResNetWeights {
  DlibResNetSpec spec;
  std::array<float, 3> mean_rgb{};         // the input layer's per-channel means (pixel scale)
  // Bottom-up: the stem, then each block's first and second convolution.
  std::vector<DlibConvolution> convolutions;
  std::vector<DlibChannelAffine> affines;  // the affine after each convolution, same order
  DlibParameter fc_weight;                 // (outputs, inputs), torch's Linear layout
  std::vector<float> fc_bias;              // empty for fc_no_bias
  std::vector<std::string> labels;         // class names stored after the network, if any
};

// The ModelError for a file that is not the spec's network: "<path>: not dlib's <name>; <why>".
[[noreturn]] void throw_not_this_network(const std::string& path, const DlibResNetSpec& spec, const std::string& why);

// ModelError (naming `path`) unless the parameters have the spec's layer count and shapes and
// dlib's padding rule (stride-2 convolutions unpadded, stride-1 3x3 padded by 1).
void check_weights_match_spec(const DlibResNetWeights& w, const std::string& path);

// Reads the file with dlib's own deserializer; ModelError when it is not that network,
// MissingFileError when it does not exist.
DlibResNetWeights read_dlib_resnet34_imagenet(const std::string& path);
DlibResNetWeights read_dlib_face_resnet(const std::string& path);

// dlib's own forward pass, for validating the libtorch port: the final layer's output and the
// activations after the stem's relu and after each stage, each as (N, C, H, W).
struct DlibReferenceOutput {
  DlibParameter output;
  std::vector<DlibParameter> features;
};

// `rgb` is N interleaved RGB uint8 images of rows x cols (dlib's matrix<rgb_pixel> order).
DlibReferenceOutput dlib_resnet34_imagenet_reference(const std::string& path, const uint8_t* rgb,
                                                     int64_t n, int64_t rows, int64_t cols);
DlibReferenceOutput dlib_face_resnet_reference(const std::string& path, const uint8_t* rgb,
                                               int64_t n, int64_t rows, int64_t cols);

}  // namespace facenorm
