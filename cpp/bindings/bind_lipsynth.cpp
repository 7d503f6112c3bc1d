#include "bindings.hpp"
#include "facenorm/lipsynth.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {

void bind_lipsynth(py::module_& m) {
  using namespace py_convert;
  m.def(
      "lip_transform_v2_landmarks",
      [](const py::array& control, const py::array& lip_template, double severity) {
        auto c = landmarks_from(control, "control");
        auto t = landmarks_from(lip_template, "lip_template");
        return landmarks_to_array(lip_transform_v2_landmarks(c, t, severity));
      },
      "control"_a, "lip_template"_a, "severity"_a = 1.0,
      "LT-v2 target landmarks (float32 (68, 2)): the template's upper lip 49-53, scaled by mouth width, "
      "rotated to the control's corner line and anchored at the control's 51.");
}

}  // namespace facenorm
