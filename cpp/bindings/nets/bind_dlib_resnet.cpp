// facenorm._nets: dlib's ResNets under libtorch, dlib's own reference forward pass, and the
// deep-feature distance. Tensors cross without copies; autograd graphs survive the crossing.
#include <torch/extension.h>

#include <pybind11/numpy.h>
#include <torch/csrc/utils/tensor_numpy.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/deep_feature_distance.hpp"
#include "facenorm/nets/dlib_resnet.hpp"
#include "nets_bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm_bindings {
namespace {

using facenorm::DlibResNetImpl;
using Net = std::shared_ptr<DlibResNetImpl>;
using ReferenceFn = facenorm::DlibReferenceOutput (*)(const std::string&, const uint8_t*, int64_t, int64_t, int64_t);

torch::Tensor to_tensor(const facenorm::DlibParameter& p) {
  return torch::from_blob(const_cast<float*>(p.values.data()), p.shape, torch::kFloat32).clone();
}

// (H, W, 3) or (N, H, W, 3) uint8 RGB -> dlib's output (N, outputs) and its feature maps.
using Reference = std::pair<torch::Tensor, std::vector<torch::Tensor>>;

// A uint8 tensor, or a NumPy array (shared, not copied), as a tensor.
torch::Tensor images_argument(const py::object& images) {
  if (THPVariable_Check(images.ptr())) return THPVariable_Unpack(images.ptr());
  if (!py::isinstance<py::array>(images))
    throw facenorm::InputTypeError("images: expected a uint8 NumPy array or tensor, got " +
                                   std::string(py::str(py::type::of(images).attr("__name__"))));
  auto array = py::reinterpret_borrow<py::array>(images);
  if (array.dtype().kind() != 'u' || array.itemsize() != 1)
    throw facenorm::InputTypeError("images: expected uint8 RGB, got " + std::string(py::str(array.dtype())));
  // C order (a copy only for views such as flips, whose negative strides torch refuses); only read.
  auto contiguous = py::array_t<uint8_t, py::array::c_style>::ensure(array);
  return torch::utils::tensor_from_numpy(contiguous.ptr(), /*warn_if_not_writeable=*/false);
}

Reference run_reference(ReferenceFn fn, const std::string& path, const py::object& images_object) {
  const torch::Tensor images = images_argument(images_object);
  if (images.scalar_type() != torch::kUInt8) throw facenorm::InputTypeError("images: expected uint8 RGB");
  if (!images.device().is_cpu()) throw facenorm::InputError("images: expected a CPU tensor");
  if (!((images.dim() == 3 && images.size(2) == 3) || (images.dim() == 4 && images.size(3) == 3)))
    throw facenorm::InputError("images: expected shape (H, W, 3) or (N, H, W, 3) RGB");
  torch::Tensor batch = (images.dim() == 3 ? images.unsqueeze(0) : images).contiguous();
  facenorm::DlibReferenceOutput out;
  {
    py::gil_scoped_release release;
    out = fn(path, batch.data_ptr<uint8_t>(), batch.size(0), batch.size(1), batch.size(2));
  }
  std::vector<torch::Tensor> features;
  for (const auto& f : out.features) features.push_back(to_tensor(f));
  return {to_tensor(out.output).flatten(1), features};
}

}  // namespace

void bind_dlib_resnet(py::module_& m) {
  py::class_<DlibResNetImpl, Net>(m, "DlibResNet", R"doc(
A dlib ResNet as a libtorch module (autograd works through it). Inputs are float RGB
(N, 3, H, W) tensors in 0-255 pixel scale; dlib's (x - mean) / 256 is applied inside.
Parameters are frozen after loading (requires_grad_(True) to fine-tune).)doc")
      .def("forward", [](DlibResNetImpl& net, const torch::Tensor& x) {
            py::gil_scoped_release release;
            return net.forward(x);
          }, "x"_a, "Logits (ImageNet) or descriptor (face), (N, outputs).")
      .def("__call__", [](DlibResNetImpl& net, const torch::Tensor& x) {
            py::gil_scoped_release release;
            return net.forward(x);
          }, "x"_a)
      .def("logits", [](DlibResNetImpl& net, const torch::Tensor& x) {
            py::gil_scoped_release release;
            return net.forward(x);
          }, "x"_a)
      .def("features", [](DlibResNetImpl& net, const torch::Tensor& x, int64_t count) {
            py::gil_scoped_release release;
            return net.features(x, count);
          }, "x"_a, "count"_a = -1,
          "Activations after the stem's relu and after each stage (see feature_names), the first `count`.")
      .def("head", [](DlibResNetImpl& net, const torch::Tensor& last_stage) {
            py::gil_scoped_release release;
            return net.head(last_stage);
          }, "last_stage"_a, "Global average pool + fully connected layer.")
      .def_property_readonly("feature_names", &DlibResNetImpl::feature_names)
      .def_property_readonly("labels", &DlibResNetImpl::labels)
      .def_property_readonly("name", [](const DlibResNetImpl& net) { return net.spec().name; })
      .def_property_readonly("outputs", [](const DlibResNetImpl& net) { return net.spec().outputs; })
      .def_property_readonly("min_input_side", &DlibResNetImpl::min_input_side)
      .def_property_readonly("mean_rgb", [](const DlibResNetImpl& net) { return net.mean_rgb; })
      .def("parameters", [](DlibResNetImpl& net) { return net.parameters(); })
      .def("named_parameters", [](DlibResNetImpl& net) {
            py::dict out;
            for (const auto& item : net.named_parameters()) out[py::str(item.key())] = item.value();
            return out;
          })
      .def("requires_grad_", [](Net net, bool flag) {
            for (auto& p : net->parameters()) p.set_requires_grad(flag);
            return net;
          }, "requires_grad"_a = true);

  m.def("load_dlib_resnet34", [](const std::string& path) {
        py::gil_scoped_release release;
        return Net(facenorm::load_dlib_resnet34(path).ptr());
      }, "path"_a, "dlib's ResNet-34 ImageNet classifier (.dnn) as a DlibResNet; ModelError if the file is another network.");
  m.def("load_dlib_face_resnet", [](const std::string& path) {
        py::gil_scoped_release release;
        return Net(facenorm::load_dlib_face_resnet(path).ptr());
      }, "path"_a, "dlib's face recognition ResNet (.dat) as a DlibResNet (128-D descriptor).");
  m.def("dlib_resnet34_reference", [](const std::string& path, const py::object& images) {
        return run_reference(&facenorm::dlib_resnet34_imagenet_reference, path, images);
      }, "path"_a, "images"_a,
      "dlib's own forward pass on uint8 RGB images: (logits (N, 1000), [stem, stage1..4]). 227x227 images go through dlib's input layer; other sizes through every layer above it.");
  m.def("dlib_resnet34_reference_logits", [](const std::string& path, const py::object& images) {
        return run_reference(&facenorm::dlib_resnet34_imagenet_reference, path, images).first;
      }, "path"_a, "images"_a, "dlib's own logits (N, 1000) for uint8 RGB images (see dlib_resnet34_reference).");
  m.def("dlib_face_resnet_reference", [](const std::string& path, const py::object& images) {
        return run_reference(&facenorm::dlib_face_resnet_reference, path, images);
      }, "path"_a, "images"_a, "dlib's own forward pass: (descriptors (N, 128), [stem, stage1..5]).");
  m.def("deep_feature_distance", [](DlibResNetImpl& net, const torch::Tensor& x, const torch::Tensor& y,
                                    const std::vector<std::string>& layers) {
        py::gil_scoped_release release;
        return facenorm::deep_feature_distance(net, x, y, layers);
      }, "net"_a, "x"_a, "y"_a, "layers"_a,
      "LPIPS-like map without learned weights, (N, 1, H, W); x, y float RGB (N, 3, H, W) in 0-255.");
}

}  // namespace facenorm_bindings
