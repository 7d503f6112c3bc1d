// facenorm._nets: MobileNetV2 (torchvision names), the Siamese/baseline lip classifiers, their
// Adam trainer, evaluation, feature caching and CAM. Heavy calls release the GIL.
#include <optional>

#include <torch/extension.h>

#include "facenorm/nets/lip_classifier.hpp"
#include "facenorm/nets/mobilenet_v2.hpp"
#include "module_io.hpp"
#include "nets_bindings.hpp"

namespace facenorm_bindings {

using facenorm::LipClassifierImpl;
using facenorm::MobileNetV2Impl;

namespace {

torch::Tensor or_undefined(const std::optional<torch::Tensor>& t) { return t ? *t : torch::Tensor(); }

facenorm::LipBatchSource source(const torch::Tensor& original, const std::optional<torch::Tensor>& normalized,
                                const torch::Tensor& labels) {
  return {original, or_undefined(normalized), labels};
}

using LipTrainer = Trainer<LipClassifierImpl>;

}  // namespace

void bind_lip_classifier(py::module_& m) {
  py::class_<MobileNetV2Impl, std::shared_ptr<MobileNetV2Impl>> mobilenet(
      m, "MobileNetV2",
      "MobileNetV2 with torchvision's module names (a torchvision state dict loads with load_state_dict). "
      "__call__ takes ImageNet-normalized float (N, 3, H, W) and returns logits (N, num_classes).");
  mobilenet.def(py::init<int64_t>(), "num_classes"_a = 1000)
      .def("__call__", [](MobileNetV2Impl& n, const torch::Tensor& x) {
             py::gil_scoped_release release;
             return n.forward(x);
           }, "normalized"_a)
      .def("prepare", &MobileNetV2Impl::prepare, "rgb255"_a, "float RGB 0-255 (N, 3, H, W) -> ImageNet-normalized input.")
      .def_property_readonly("layer_count", &MobileNetV2Impl::layer_count);
  bind_common(mobilenet);

  py::class_<LipClassifierImpl, std::shared_ptr<LipClassifierImpl>> net(
      m, "LipClassifier",
      "ICMI 2024 lip-abnormality classifier: Siamese (original and normalized lip crops through one shared "
      "backbone, embeddings concatenated -> hidden -> 2) or the single-branch baseline (embedding -> hidden -> 2). "
      "Inputs: float RGB (N, 3, S, S) in 0-255, or cached features entering block from_block. Class 1 = abnormal.");
  net.def(py::init([](const std::string& backbone, bool siamese, int64_t hidden, const std::string& weights_file,
                      uint64_t seed) {
            py::gil_scoped_release release;
            torch::manual_seed(seed);  // the random initialization (head, and backbones without weights)
            return std::make_shared<LipClassifierImpl>(facenorm::make_lip_backbone(backbone, weights_file), siamese,
                                                       hidden);
          }),
          "backbone"_a = "mobilenet_v2", "siamese"_a = true, "hidden"_a = 256, "weights_file"_a = "", "seed"_a = 0)
      .def("__call__", [](LipClassifierImpl& n, const torch::Tensor& original,
                          const std::optional<torch::Tensor>& normalized, int64_t from_block) {
             py::gil_scoped_release release;
             return n.forward(original, or_undefined(normalized), from_block);
           }, "original"_a, "normalized"_a = py::none(), "from_block"_a = 0)
      .def("class_activation_maps", [](LipClassifierImpl& n, const torch::Tensor& original,
                                       const std::optional<torch::Tensor>& normalized) {
             py::gil_scoped_release release;
             return n.class_activation_maps(original, or_undefined(normalized));
           }, "original"_a, "normalized"_a = py::none(),
           "(logits (N, 2), maps (N, branches, h, w)): CAM of the abnormal-minus-normal logit per branch.")
      .def("set_trainable_layers", &LipClassifierImpl::set_trainable_layers, "k"_a,
           "Train the backbone's last k leaf layers and the head (k < 0: all); the rest is frozen.")
      .def_property_readonly("trainable_layers", &LipClassifierImpl::trainable_layers)
      .def_property_readonly("cache_block", &LipClassifierImpl::cache_block)
      .def_property_readonly("siamese", &LipClassifierImpl::siamese)
      .def_property_readonly("branches", &LipClassifierImpl::branches)
      .def_property_readonly("backbone_kind", [](LipClassifierImpl& n) { return n.backbone->kind(); })
      .def_property_readonly("layer_count", [](LipClassifierImpl& n) { return n.backbone->layer_count(); })
      .def_property_readonly("block_count", [](LipClassifierImpl& n) { return n.backbone->block_count(); })
      .def_property_readonly("embedding_size", [](LipClassifierImpl& n) { return n.backbone->embedding_size(); })
      .def("block_layer_counts", [](LipClassifierImpl& n) {
             std::vector<int64_t> counts;
             for (int64_t b = 0; b < n.backbone->block_count(); ++b) counts.push_back(n.backbone->block_layers(b).size());
             return counts;
           })
      .def("trainable_state_dict", [](LipClassifierImpl& n) {
             // What training changed: trainable parameters, and the buffers of modules that own one.
             py::dict out;
             for (const auto& item : n.named_modules()) {
               bool trains = false;
               for (const auto& p : item.value()->named_parameters(false)) trains |= p.value().requires_grad();
               if (!trains) continue;
               const std::string prefix = item.key().empty() ? "" : item.key() + ".";
               for (const auto& p : item.value()->named_parameters(false)) out[py::str(prefix + p.key())] = p.value().detach();
               for (const auto& b : item.value()->named_buffers(false)) out[py::str(prefix + b.key())] = b.value().detach();
             }
             return out;
           });
  bind_common(net);

  py::class_<LipTrainer>(m, "LipTrainer", "Adam (cross-entropy) for a LipClassifier; its state is resumable.")
      .def(py::init<std::shared_ptr<LipClassifierImpl>, double>(), "net"_a, "lr"_a = 1e-4)
      .def("epoch", [](LipTrainer& t, const torch::Tensor& original, const std::optional<torch::Tensor>& normalized,
                       const torch::Tensor& labels, int64_t batch_size, uint64_t seed, bool mirror, const py::object& cb) {
             auto progress = progress_from<facenorm::LipProgress>(cb);
             auto data = source(original, normalized, labels);
             py::gil_scoped_release release;
             return facenorm::train_lip_classifier_epoch(*t.net, t.optimizer, data, batch_size, seed, mirror, progress);
           }, "original"_a, "normalized"_a, "labels"_a, "batch_size"_a = 16, "seed"_a = 0, "mirror"_a = true,
           "progress"_a = py::none(),
           "One seeded pass over uint8 images (N, S, S, 3) or cached float16 features (N, V, C, h, w); "
           "returns the mean cross-entropy.")
      .def_property_readonly("lr", &LipTrainer::lr)
      .def("save_state", &LipTrainer::save, "path"_a)
      .def("load_state", &LipTrainer::load, "path"_a);

  m.def("evaluate_lip_classifier", [](LipClassifierImpl& n, const torch::Tensor& original,
                                      const std::optional<torch::Tensor>& normalized, const torch::Tensor& labels,
                                      int64_t batch_size) {
          auto data = source(original, normalized, labels);
          facenorm::LipEvaluation e;
          {
            py::gil_scoped_release release;
            e = facenorm::evaluate_lip_classifier(n, data, batch_size);
          }
          return py::dict("loss"_a = e.loss, "correct"_a = e.correct, "p_abnormal"_a = e.p_abnormal);
        }, "net"_a, "original"_a, "normalized"_a, "labels"_a, "batch_size"_a = 32,
        "Mean cross-entropy, correct count and p(abnormal) (N,) in inference mode.");
  m.def("lip_cache_features", [](LipClassifierImpl& n, const torch::Tensor& images, bool mirrored, int64_t batch_size) {
          py::gil_scoped_release release;
          return facenorm::lip_cache_features(n, images, mirrored, batch_size);
        }, "net"_a, "images"_a, "mirrored"_a = false, "batch_size"_a = 32,
        "float16 (N, C, h, w): the frozen prefix's outputs entering net.cache_block for uint8 images (N, S, S, 3).");
}

}  // namespace facenorm_bindings
