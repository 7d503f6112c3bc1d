// facenorm._nets: the libtorch half of the bindings. A separate module so `import facenorm`
// stays fast and torch-free; facenorm.nets imports torch first, then this module, and tensors
// cross pybind11 without copies because both sides use Debian's one libtorch 1.13 build.
#include <torch/extension.h>

#include "facenorm/errors.hpp"
#include "facenorm/tensor_images.hpp"
#include "nets_bindings.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

facenorm::Normalization normalization(std::array<float, 3> mean, std::array<float, 3> std) {
  facenorm::Normalization n;
  n.mean = mean;
  n.std = std;
  return n;
}

}  // namespace

PYBIND11_MODULE(_nets, m) {
  m.doc() = "facenorm's libtorch kernels; use facenorm.nets.";
  m.attr("torch_version") = TORCH_VERSION;
  // Errors are re-raised as facenorm's classes (defined in facenorm._core). Local: pybind11
  // translators are otherwise shared by every module, and this one must not shadow _core's.
  py::register_local_exception_translator([](std::exception_ptr p) {
    auto core = py::module_::import("facenorm._core");
    auto raise = [&](const char* cls, const char* msg) { PyErr_SetString(core.attr(cls).ptr(), msg); };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const facenorm::InputTypeError& e) { raise("InputTypeError", e.what());
    } catch (const facenorm::InputError& e) { raise("InputError", e.what());
    } catch (const facenorm::MissingFileError& e) { raise("MissingFileError", e.what());
    } catch (const facenorm::ModelError& e) { raise("ModelError", e.what());
    } catch (const facenorm::Error& e) { raise("FacenormError", e.what());
    } catch (const c10::Error& e) { raise("BackendError", (std::string("libtorch: ") + e.what_without_backtrace()).c_str());
    }
  });
  m.def(
      "images_to_tensor",
      [](const torch::Tensor& images, std::array<float, 3> mean, std::array<float, 3> std) {
        py::gil_scoped_release release;
        return facenorm::images_to_tensor(images, normalization(mean, std));
      },
      "images"_a, "mean"_a = std::array<float, 3>{0.485f, 0.456f, 0.406f},
      "std"_a = std::array<float, 3>{0.229f, 0.224f, 0.225f});
  m.def(
      "tensor_to_images",
      [](const torch::Tensor& x, std::array<float, 3> mean, std::array<float, 3> std) {
        py::gil_scoped_release release;
        return facenorm::tensor_to_images(x, normalization(mean, std));
      },
      "tensor"_a, "mean"_a = std::array<float, 3>{0.485f, 0.456f, 0.406f},
      "std"_a = std::array<float, 3>{0.229f, 0.224f, 0.225f});
  facenorm_bindings::bind_dlib_resnet(m);
  facenorm_bindings::bind_face_autoencoder(m);
  facenorm_bindings::bind_cascaded_fcn(m);
  facenorm_bindings::bind_palsy_parsing(m);
  facenorm_bindings::bind_lip_classifier(m);
  facenorm_bindings::bind_appraisal_nets(m);
}
