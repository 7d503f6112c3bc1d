// Shared by the binding files of facenorm._nets: checkpoint files of a network (shape-checked
// loads), progress callbacks that take the GIL, an Adam optimizer bound to one network, and the
// methods every bound network has.
#pragma once

#include <sstream>

#include <torch/extension.h>

#include "facenorm/errors.hpp"

namespace facenorm_bindings {

namespace py = pybind11;
using namespace pybind11::literals;

template <typename Module>
void save_module(const std::shared_ptr<Module>& net, const std::string& path) {
  py::gil_scoped_release release;
  torch::save(std::static_pointer_cast<torch::nn::Module>(net), path);
}

inline std::vector<std::vector<int64_t>> parameter_shapes(torch::nn::Module& net) {
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

template <typename Progress>
Progress progress_from(const py::object& callback) {
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

}  // namespace facenorm_bindings
