// Shared by the binding files of facenorm._nets: checkpoint files of a network (shape-checked
// loads), progress callbacks that take the GIL, an Adam optimizer bound to one network, and the
// methods every bound network has.
#pragma once

#include <map>
#include <set>
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

inline std::string shape_text(at::IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + ")";
}

// Every parameter and buffer by its dotted name (the names PyTorch's state_dict uses).
inline std::map<std::string, torch::Tensor> named_tensors(torch::nn::Module& net) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : net.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : net.named_buffers()) out[b.key()] = b.value();
  return out;
}

// PyTorch's load_state_dict for a bound network: names under `prefix` in the network are matched
// to the dict's keys; every shape is checked before anything is copied, so a refused dict leaves
// the network as it was. Returns (missing, unexpected) key lists; strict makes either an error.
inline std::pair<std::vector<std::string>, std::vector<std::string>> load_named_tensors(
    torch::nn::Module& net, const py::dict& state, const std::string& prefix, bool strict) {
  auto own = named_tensors(net);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  std::vector<std::string> missing, unexpected;
  std::set<std::string> seen;
  for (const auto& item : state) {
    const std::string key = py::cast<std::string>(item.first);
    auto it = own.find(prefix + key);
    if (it == own.end()) {
      unexpected.push_back(key);
      continue;
    }
    torch::Tensor value = py::cast<torch::Tensor>(item.second);
    if (value.sizes() != it->second.sizes())
      throw facenorm::ModelError("state dict: '" + key + "' expected shape " + shape_text(it->second.sizes()) +
                                 ", got " + shape_text(value.sizes()) + " (the network is left unchanged)");
    copies.emplace_back(it->second, value);
    seen.insert(it->first);
  }
  for (const auto& [name, t] : own)
    if (name.rfind(prefix, 0) == 0 && !seen.count(name)) missing.push_back(name.substr(prefix.size()));
  if (strict && (!missing.empty() || !unexpected.empty())) {
    auto few = [](const std::vector<std::string>& v) {
      std::string s;
      for (size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
      return s + (v.size() > 5 ? ", ..." : "");
    };
    throw facenorm::ModelError("state dict: expected exactly the network's tensors; missing " +
                               std::to_string(missing.size()) + " [" + few(missing) + "], unexpected " +
                               std::to_string(unexpected.size()) + " [" + few(unexpected) +
                               "] (the network is left unchanged)");
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src);
  return {missing, unexpected};
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
  double lr() { return static_cast<torch::optim::AdamOptions&>(optimizer.param_groups().front().options()).lr(); }
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
      .def("state_dict", [](Module& n) {
        py::dict out;
        for (const auto& [name, t] : named_tensors(n)) out[py::str(name)] = t.detach();
        return out;
      }, "Every parameter and buffer by name (tensors share the network's memory).")
      .def("load_state_dict", [](Module& n, const py::dict& state, bool strict, const std::string& prefix) {
        return load_named_tensors(n, state, prefix, strict);
      }, "state"_a, "strict"_a = true, "prefix"_a = "",
      "Copy tensors in by name (after `prefix`), shapes checked first; returns (missing, unexpected).")
      .def("train", [](Module& n, bool on) { n.train(on); }, "mode"_a = true)
      .def("eval", [](Module& n) { n.eval(); })
      .def("save", &save_module<Module>, "path"_a, "Write the weights (torch::save); see facenorm.normalize.learned for atomic checkpoints.")
      .def("load", &load_module<Module>, "path"_a, "Read weights a save() of the same architecture wrote; ModelError otherwise.");
}

}  // namespace facenorm_bindings
