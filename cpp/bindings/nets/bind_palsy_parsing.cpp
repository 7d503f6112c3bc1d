// facenorm._nets: the face-parsing network with the palsy (FPP) class, its loss, metrics and
// Adam trainer. Training releases the GIL; progress callbacks take it.
#include <torch/extension.h>

#include "facenorm/nets/palsy_parsing.hpp"
#include "module_io.hpp"
#include "nets_bindings.hpp"

namespace facenorm_bindings {

using facenorm::PalsyParsingNetImpl;

void bind_palsy_parsing(py::module_& m) {
  py::class_<PalsyParsingNetImpl, std::shared_ptr<PalsyParsingNetImpl>> net(
      m, "PalsyParsingNet",
      "Face parsing with ESC blocks, ASPP, foreground attention and a depth head: RGB (N, 3, H, W) in [0, 1] -> "
      "(logits, coarse logits, depth).");
  net.def(py::init<int64_t, int64_t, int64_t, int64_t>(), "classes"_a = 7, "channels"_a = 16, "attention_dim"_a = 64,
          "attention_side"_a = 32)
      .def("__call__", [](PalsyParsingNetImpl& n, const torch::Tensor& x) {
             py::gil_scoped_release release;
             auto out = n.forward(x);
             return std::make_tuple(out.logits, out.coarse, out.depth);
           }, "x"_a)
      .def_readonly("classes", &PalsyParsingNetImpl::classes)
      .def_readonly("channels", &PalsyParsingNetImpl::channels);
  bind_common(net);

  m.def("parsing_boundary_loss", [](const torch::Tensor& logits, const torch::Tensor& labels, const py::object& w) {
          return facenorm::boundary_loss(logits, labels, w.is_none() ? torch::Tensor() : w.cast<torch::Tensor>());
        }, "logits"_a, "labels"_a, "class_weights"_a = py::none(), "Eq. 7: contour-pixel cross-entropy per image and category.");
  m.def("parsing_confusion", &facenorm::parsing_confusion, "predicted"_a, "truth"_a, "classes"_a,
        py::call_guard<py::gil_scoped_release>(), "(classes, classes) int64 confusion matrix; rows = truth.");
  m.def("parsing_metrics", [](const torch::Tensor& confusion) {
          auto r = facenorm::parsing_metrics(confusion);
          return py::dict("f1"_a = r.f1, "iou"_a = r.iou, "mean_iou"_a = r.mean_iou, "pixel_accuracy"_a = r.pixel_accuracy);
        }, "confusion"_a, "Eqs. 9-11: per-class F1 and IoU, mean IoU, pixel accuracy.");

  using ParsingTrainer = Trainer<PalsyParsingNetImpl>;
  py::class_<ParsingTrainer>(m, "ParsingTrainer", "Adam on CE + coarse CE / 2 + boundary_weight x eq. 7.")
      .def(py::init<std::shared_ptr<PalsyParsingNetImpl>, double>(), "net"_a, "lr"_a = 1e-3)
      .def("epoch", [](ParsingTrainer& t, const torch::Tensor& images, const torch::Tensor& labels, int64_t batch,
                       uint64_t seed, double boundary_weight, const py::object& cb) {
             auto progress = progress_from<facenorm::ParsingProgress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_parsing_epoch(*t.net, t.optimizer, images, labels, batch, seed, boundary_weight, progress);
           }, "images"_a, "labels"_a, "batch_size"_a = 8, "seed"_a = 0, "boundary_weight"_a = 1.0, "progress"_a = py::none())
      .def("save_state", &ParsingTrainer::save, "path"_a)
      .def("load_state", &ParsingTrainer::load, "path"_a);
}

}  // namespace facenorm_bindings
