// facenorm._nets: the cascaded FCN landmarker (AFLFP), its heatmap encoding/decoding, loss and
// Adam trainer. Training releases the GIL; progress callbacks take it.
#include <torch/extension.h>

#include "facenorm/nets/cascaded_fcn.hpp"
#include "module_io.hpp"
#include "nets_bindings.hpp"

namespace facenorm_bindings {

using facenorm::CascadedFcnImpl;

namespace {

// Adam whose learning rate the caller steps down (the paper divides it by 10 every 30 epochs).
struct FcnTrainer : Trainer<CascadedFcnImpl> {
  using Trainer::Trainer;
  void set_lr(double lr) {
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
};

}  // namespace

void bind_cascaded_fcn(py::module_& m) {
  py::class_<CascadedFcnImpl, std::shared_ptr<CascadedFcnImpl>> fcn(
      m, "CascadedFcn",
      "Two-stage cascaded FCN (AFLFP Table 1, widths divided by width_divisor): grayscale crops (N, 1, 96, 96) "
      "in [0, 1] -> (stage 1, stage 2) heatmaps (N, points, 96, 96).");
  fcn.def(py::init<int64_t, int64_t>(), "points"_a = 68, "width_divisor"_a = 8)
      .def("__call__", [](CascadedFcnImpl& n, const torch::Tensor& x) {
             py::gil_scoped_release release;
             auto [h1, h2] = n.forward(x);
             return std::make_tuple(h1, h2);
           }, "gray"_a)
      .def_readonly("points", &CascadedFcnImpl::points)
      .def_readonly("width_divisor", &CascadedFcnImpl::width_divisor)
      .def_property_readonly_static("side", [](py::object) { return CascadedFcnImpl::kSide; });
  bind_common(fcn);

  m.def("landmark_heatmaps", &facenorm::landmark_heatmaps, "points"_a, "side"_a = 96, "sigma"_a = 5.0,
        py::call_guard<py::gil_scoped_release>(),
        "Target heatmaps (N, P, side, side), peaks 1 at the (x, y) points (N, P, 2) (eq. 1 without its constant).");
  m.def("heatmap_landmarks", &facenorm::heatmap_landmarks, "heatmaps"_a, "top_k"_a = 25, "weighted"_a = false,
        py::call_guard<py::gil_scoped_release>(),
        "(N, P, 2) points: mean (x, y) of each heatmap's top_k responses (weighted: by response above the k-th).");
  m.def("cascaded_fcn_loss", &facenorm::cascaded_fcn_loss, "stage1"_a, "stage2"_a, "targets"_a,
        "Eq. 2: both stages' squared errors, summed over pixels, averaged over maps.");

  py::class_<FcnTrainer>(m, "FcnTrainer", "Adam on eq. 2 for a CascadedFcn; lr is settable for step decay.")
      .def(py::init<std::shared_ptr<CascadedFcnImpl>, double>(), "net"_a, "lr"_a = 1e-4)
      .def("epoch", [](FcnTrainer& t, const torch::Tensor& crops, const torch::Tensor& points, int64_t batch,
                       uint64_t seed, double sigma, const py::object& cb) {
             auto progress = progress_from<facenorm::FcnProgress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_cascaded_fcn_epoch(*t.net, t.optimizer, crops, points, batch, seed, sigma, progress);
           }, "crops"_a, "points"_a, "batch_size"_a = 32, "seed"_a = 0, "sigma"_a = 5.0, "progress"_a = py::none(),
           "One seeded pass; heatmap targets are made per batch. Returns the mean loss (eq. 2).")
      .def_property("lr", &FcnTrainer::lr, &FcnTrainer::set_lr)
      .def("save_state", &FcnTrainer::save, "path"_a)
      .def("load_state", &FcnTrainer::load, "path"_a);
}

}  // namespace facenorm_bindings
