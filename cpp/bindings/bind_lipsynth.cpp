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
      "LT-v2 target landmarks (float32 (68, 2)): the template's upper lip 49-53 in the control's mouth frame.");
  m.def(
      "_lip_transform_v2",
      [](const py::array& image, const py::array& control, const py::array& lip_template, double severity) {
        cv::Mat view = rgb_view(image);
        auto c = landmarks_from(control, "landmarks");
        auto t = landmarks_from(lip_template, "lip_template");
        LipTransformResult r;
        {
          py::gil_scoped_release release;
          r = lip_transform_v2(view, c, t, severity);
        }
        return py::make_tuple(mat_to_array(r.image), landmarks_to_array(r.landmarks), mat_to_array(r.moved_mask));
      },
      "image"_a, "landmarks"_a, "lip_template"_a, "severity"_a = 1.0);
}

}  // namespace facenorm
