// Each area binds itself; module.cpp calls them in a fixed order, types first.
#pragma once

#include <pybind11/pybind11.h>

namespace facenorm {
void bind_errors(pybind11::module_& m);
void bind_image(pybind11::module_& m);
void bind_face(pybind11::module_& m);
void bind_warp(pybind11::module_& m);
void bind_lipsynth(pybind11::module_& m);
void bind_score(pybind11::module_& m);
void bind_normalize(pybind11::module_& m);
void bind_shape_training(pybind11::module_& m);
}  // namespace facenorm
