// facenorm._nets: the appraisal's trained networks (issue 20): the distillation student and the
// lower-face inpainter, with their Adam trainers. Training releases the GIL; progress callbacks take it.
#include <torch/extension.h>

#include "facenorm/nets/face_inpainter.hpp"
#include "facenorm/nets/feature_student.hpp"
#include "module_io.hpp"
#include "nets_bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm_bindings {

using facenorm::FaceInpainterImpl;
using facenorm::FeatureStudentImpl;
using Progress = std::function<void(int64_t, double)>;

void bind_appraisal_nets(py::module_& m) {
  py::class_<FeatureStudentImpl, std::shared_ptr<FeatureStudentImpl>> st(
      m, "FeatureStudent", "Distillation student: crops (N, 3, 224, 224) in [0, 1] -> predicted teacher embedding (N, C, 27, 27).");
  st.def(py::init<int64_t, int64_t>(), "out_channels"_a = 100, "width"_a = 32)
      .def("forward", [](FeatureStudentImpl& n, const torch::Tensor& x) { return n.forward(x); }, "x"_a)
      .def("__call__", [](FeatureStudentImpl& n, const torch::Tensor& x) { return n.forward(x); }, "x"_a)
      .def_readonly("out_channels", &FeatureStudentImpl::out_channels)
      .def_readonly("width", &FeatureStudentImpl::width);
  bind_common(st);

  py::class_<FaceInpainterImpl, std::shared_ptr<FaceInpainterImpl>> ip(
      m, "FaceInpainter", "Lower-face inpainter: (image (N, 3, H, W) in [0, 1], mask (N, 1, H, W), 1 = hole) -> filled image.");
  ip.def(py::init<int64_t>(), "channels"_a = 32)
      .def("forward", [](FaceInpainterImpl& n, const torch::Tensor& x, const torch::Tensor& k) { return n.forward(x, k); },
           "image"_a, "mask"_a)
      .def("__call__", [](FaceInpainterImpl& n, const torch::Tensor& x, const torch::Tensor& k) { return n.forward(x, k); },
           "image"_a, "mask"_a)
      .def_readonly("channels", &FaceInpainterImpl::channels);
  bind_common(ip);

  using StTrainer = Trainer<FeatureStudentImpl>;
  py::class_<StTrainer>(m, "StudentTrainer", "Adam on the squared error between student and teacher embeddings.")
      .def(py::init<std::shared_ptr<FeatureStudentImpl>, double>(), "net"_a, "lr"_a = 1e-3)
      .def("epoch", [](StTrainer& t, const torch::Tensor& crops, const torch::Tensor& targets, int64_t batch,
                       uint64_t seed, const py::object& cb) {
             auto progress = progress_from<Progress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_student_epoch(*t.net, t.optimizer, crops, targets, batch, seed, progress);
           }, "crops"_a, "targets"_a, "batch_size"_a = 32, "seed"_a = 0, "progress"_a = py::none(),
           "One seeded pass over crops uint8 (N, 224, 224, 3) and targets (N, C, 27, 27). Returns the mean loss.")
      .def("save_state", &StTrainer::save, "path"_a)
      .def("load_state", &StTrainer::load, "path"_a);

  using IpTrainer = Trainer<FaceInpainterImpl>;
  py::class_<IpTrainer>(m, "InpainterTrainer", "Adam on the hole's L1 loss plus a perceptual term of dlib's ResNet-34.")
      .def(py::init<std::shared_ptr<FaceInpainterImpl>, double>(), "net"_a, "lr"_a = 1e-3)
      .def("epoch", [](IpTrainer& t, const torch::Tensor& windows, const torch::Tensor& holes,
                       const std::shared_ptr<facenorm::DlibResNetImpl>& perceptual, double weight, int64_t batch,
                       uint64_t seed, const py::object& cb) {
             auto progress = progress_from<Progress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_inpainter_epoch(*t.net, t.optimizer, windows, holes, perceptual, weight, batch, seed,
                                                    progress);
           }, "windows"_a, "holes"_a, "perceptual"_a = py::none(), "perceptual_weight"_a = 0.0, "batch_size"_a = 16,
           "seed"_a = 0, "progress"_a = py::none(),
           "One seeded pass over windows uint8 (N, H, W, 3) with holes uint8 (N, H, W). Returns the mean loss.")
      .def("save_state", &IpTrainer::save, "path"_a)
      .def("load_state", &IpTrainer::load, "path"_a);
}

}  // namespace facenorm_bindings
