// facenorm._nets: the learned normalization networks (stage 1 autoencoder, stage 2 restoration),
// their Adam trainers and checkpoint files. Training releases the GIL; progress callbacks take it.
#include <torch/extension.h>

#include "facenorm/nets/face_autoencoder.hpp"
#include "module_io.hpp"
#include "nets_bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm_bindings {

using facenorm::FaceAutoencoderImpl;
using facenorm::FaceRestorationImpl;

void bind_face_autoencoder(py::module_& m) {
  py::class_<FaceAutoencoderImpl, std::shared_ptr<FaceAutoencoderImpl>> ae(
      m, "FaceAutoencoder", "Stage 1: aligned face (N, 3, 128, 128) in [0, 1] -> its reconstruction through a narrow bottleneck.");
  ae.def(py::init<int64_t, int64_t>(), "channels"_a = 32, "bottleneck"_a = 128)
      .def("forward", [](FaceAutoencoderImpl& n, const torch::Tensor& x) { return n.forward(x); }, "x"_a)
      .def("__call__", [](FaceAutoencoderImpl& n, const torch::Tensor& x) { return n.forward(x); }, "x"_a)
      .def("encode", [](FaceAutoencoderImpl& n, const torch::Tensor& x) { return n.encode(x); }, "x"_a)
      .def("decode", [](FaceAutoencoderImpl& n, const torch::Tensor& z) { return n.decode(z); }, "code"_a)
      .def_readonly("channels", &FaceAutoencoderImpl::channels)
      .def_readonly("bottleneck", &FaceAutoencoderImpl::bottleneck);
  bind_common(ae);

  py::class_<FaceRestorationImpl, std::shared_ptr<FaceRestorationImpl>> rs(
      m, "FaceRestoration", "Stage 2: (degraded, coarse structure), each (N, 3, H, W) in [0, 1] -> the restored face.");
  rs.def(py::init<int64_t>(), "channels"_a = 32)
      .def("forward", [](FaceRestorationImpl& n, const torch::Tensor& d, const torch::Tensor& s) { return n.forward(d, s); },
           "degraded"_a, "structure"_a)
      .def("__call__", [](FaceRestorationImpl& n, const torch::Tensor& d, const torch::Tensor& s) { return n.forward(d, s); },
           "degraded"_a, "structure"_a)
      .def_readonly("channels", &FaceRestorationImpl::channels);
  bind_common(rs);

  m.def("coarse_structure", [](const torch::Tensor& x, int64_t factor) { return facenorm::coarse_structure(x, factor); },
        "x"_a, "factor"_a = 8, "The original's coarse structure: area-downsampled by factor, upsampled back (bilinear).");

  using AeTrainer = Trainer<FaceAutoencoderImpl>;
  py::class_<AeTrainer>(m, "AutoencoderTrainer", "Adam on the L1 reconstruction loss of stage 1.")
      .def(py::init<std::shared_ptr<FaceAutoencoderImpl>, double>(), "net"_a, "lr"_a = 1e-3)
      .def("epoch", [](AeTrainer& t, const torch::Tensor& faces, int64_t batch, uint64_t seed, const py::object& cb) {
             auto progress = progress_from<facenorm::TrainingProgress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_autoencoder_epoch(*t.net, t.optimizer, faces, batch, seed, progress);
           }, "faces"_a, "batch_size"_a = 32, "seed"_a = 0, "progress"_a = py::none(),
           "One seeded pass over faces (N, 3, 128, 128); progress(done, mean_loss) after each batch. Returns the mean loss.")
      .def("save_state", &AeTrainer::save, "path"_a)
      .def("load_state", &AeTrainer::load, "path"_a);

  using RsTrainer = Trainer<FaceRestorationImpl>;
  py::class_<RsTrainer>(m, "RestorationTrainer", "Adam on the L1 loss of stage 2 against the original faces.")
      .def(py::init<std::shared_ptr<FaceRestorationImpl>, double>(), "net"_a, "lr"_a = 1e-3)
      .def("epoch", [](RsTrainer& t, const torch::Tensor& degraded, const torch::Tensor& structure,
                       const torch::Tensor& targets, int64_t batch, uint64_t seed, const py::object& cb) {
             auto progress = progress_from<facenorm::TrainingProgress>(cb);
             py::gil_scoped_release release;
             return facenorm::train_restoration_epoch(*t.net, t.optimizer, degraded, structure, targets, batch, seed, progress);
           }, "degraded"_a, "structure"_a, "targets"_a, "batch_size"_a = 16, "seed"_a = 0, "progress"_a = py::none())
      .def("save_state", &RsTrainer::save, "path"_a)
      .def("load_state", &RsTrainer::load, "path"_a);
}

}  // namespace facenorm_bindings
