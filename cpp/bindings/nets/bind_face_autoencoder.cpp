// facenorm._nets: the learned normalization networks (stage 1 autoencoder, stage 2 restoration),
// their Adam trainers and checkpoint files. Training releases the GIL; progress callbacks take it.
#include <sstream>

#include <torch/extension.h>

#include "facenorm/errors.hpp"
#include "facenorm/nets/face_autoencoder.hpp"
#include "nets_bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm_bindings {
namespace {

using facenorm::FaceAutoencoderImpl;
using facenorm::FaceRestorationImpl;

template <typename Module>
void save_module(const std::shared_ptr<Module>& net, const std::string& path) {
  py::gil_scoped_release release;
  torch::save(std::static_pointer_cast<torch::nn::Module>(net), path);
}

std::vector<std::vector<int64_t>> parameter_shapes(torch::nn::Module& net) {
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& p : net.named_parameters()) shapes.push_back(p.value().sizes().vec());
  for (const auto& b : net.named_buffers()) shapes.push_back(b.value().sizes().vec());
  return shapes;
}

// torch::load replaces tensors without checking their shapes: a checkpoint of another size would
// silently become the network. Load, compare, and on a mismatch put the old weights back.
template <typename Module>
void load_module(const std::shared_ptr<Module>& net, const std::string& path) {
  py::gil_scoped_release release;
  auto base = std::static_pointer_cast<torch::nn::Module>(net);
  auto before = parameter_shapes(*base);
  std::stringstream backup;
  torch::save(base, backup);
  try {
    torch::load(base, path);
  } catch (const c10::Error& e) {
    torch::load(base, backup);
    throw facenorm::ModelError(path + ": not a checkpoint of this network (" + e.what_without_backtrace() + ")");
  } catch (const std::exception& e) {  // e.g. torch::jit's parser on a file of another kind
    torch::load(base, backup);
    throw facenorm::ModelError(path + ": not a checkpoint of this network (" + std::string(e.what()).substr(0, 200) + ")");
  }
  if (parameter_shapes(*base) != before) {
    torch::load(base, backup);
    throw facenorm::ModelError(path + ": a checkpoint of a network of another size; expected the same channels "
                               "and bottleneck as the network loading it (the network is left unchanged)");
  }
}

facenorm::TrainingProgress progress_from(const py::object& callback) {
  if (callback.is_none()) return {};
  return [callback](int64_t done, double loss) {
    py::gil_scoped_acquire acquire;
    callback(done, loss);
  };
}

// One Adam optimizer bound to one network; its state is part of a resumable checkpoint.
template <typename Module>
struct Trainer {
  Trainer(std::shared_ptr<Module> n, double lr) : net(std::move(n)), optimizer(net->parameters(), torch::optim::AdamOptions(lr)) {}
  std::shared_ptr<Module> net;
  torch::optim::Adam optimizer;
  void save(const std::string& path) {
    py::gil_scoped_release release;
    torch::save(optimizer, path);
  }
  void load(const std::string& path) {
    py::gil_scoped_release release;
    try {
      torch::load(optimizer, path);
    } catch (const c10::Error& e) {
      throw facenorm::ModelError(path + ": not an optimizer state of this trainer (" + e.what_without_backtrace() + ")");
    }
  }
};

template <typename Module>
void bind_common(py::class_<Module, std::shared_ptr<Module>>& cls) {
  cls.def("parameters", [](Module& n) { return n.parameters(); })
      .def("named_parameters", [](Module& n) {
        py::dict out;
        for (const auto& item : n.named_parameters()) out[py::str(item.key())] = item.value();
        return out;
      })
      .def("train", [](Module& n, bool on) { n.train(on); }, "mode"_a = true)
      .def("eval", [](Module& n) { n.eval(); })
      .def("save", &save_module<Module>, "path"_a, "Write the weights (torch::save); see facenorm.normalize.learned for atomic checkpoints.")
      .def("load", &load_module<Module>, "path"_a, "Read weights a save() of the same architecture wrote; ModelError otherwise.");
}

}  // namespace

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
             auto progress = progress_from(cb);
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
             auto progress = progress_from(cb);
             py::gil_scoped_release release;
             return facenorm::train_restoration_epoch(*t.net, t.optimizer, degraded, structure, targets, batch, seed, progress);
           }, "degraded"_a, "structure"_a, "targets"_a, "batch_size"_a = 16, "seed"_a = 0, "progress"_a = py::none())
      .def("save_state", &RsTrainer::save, "path"_a)
      .def("load_state", &RsTrainer::load, "path"_a);
}

}  // namespace facenorm_bindings
