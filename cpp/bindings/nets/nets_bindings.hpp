// One registration function per binding file of facenorm._nets; module_nets.cpp calls them.
#pragma once

#include <torch/extension.h>

namespace facenorm_bindings {

void bind_dlib_resnet(pybind11::module_& m);
void bind_face_autoencoder(pybind11::module_& m);
void bind_cascaded_fcn(pybind11::module_& m);
void bind_palsy_parsing(pybind11::module_& m);
void bind_lip_classifier(pybind11::module_& m);
void bind_appraisal_nets(pybind11::module_& m);

}  // namespace facenorm_bindings
