// facenorm.FacenormError and its subclasses, each also deriving from the matching builtin so
// callers can catch either (e.g. `except FileNotFoundError`). Translated once, here.
#include <dlib/error.h>
#include <opencv2/core.hpp>
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "facenorm/errors.hpp"

namespace py = pybind11;

namespace facenorm {
namespace {

struct ErrorClasses {
  py::object base, input, input_type, missing_file, decode, no_face, multiple_faces, model, dataset, backend;
};

ErrorClasses& classes() {
  static ErrorClasses* c = new ErrorClasses();  // leaked on purpose: lives as long as the interpreter
  return *c;
}

py::object make_class(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  py::dict ns;
  ns["__doc__"] = doc;
  ns["__module__"] = "facenorm";
  py::object cls = py::module_::import("builtins").attr("type")(name, bases, ns);
  m.attr(name) = cls;
  return cls;
}

}  // namespace

void bind_errors(py::module_& m) {
  auto b = py::module_::import("builtins");
  auto& c = classes();
  c.base = make_class(m, "FacenormError", py::make_tuple(b.attr("Exception")), "Base class of every facenorm error.");
  c.input = make_class(m, "InputError", py::make_tuple(c.base, b.attr("ValueError")),
                       "An argument has the wrong shape, range or content.");
  c.input_type = make_class(m, "InputTypeError", py::make_tuple(c.base, b.attr("TypeError")),
                            "An array has the wrong dtype (nothing is cast silently).");
  c.missing_file = make_class(m, "MissingFileError", py::make_tuple(c.base, b.attr("FileNotFoundError")),
                              "A file that should exist does not.");
  c.decode = make_class(m, "ImageDecodeError", py::make_tuple(c.input),
                        "A file is not a decodable image: empty, truncated, or not an image at all.");
  c.no_face = make_class(m, "NoFaceError", py::make_tuple(c.input), "No face was found where one was required.");
  c.multiple_faces = make_class(m, "MultipleFacesError", py::make_tuple(c.input),
                                "Several faces were found under the 'error' policy.");
  c.model = make_class(m, "ModelError", py::make_tuple(c.base, b.attr("RuntimeError")),
                       "A model file is missing, corrupt, or fails its checksum.");
  c.dataset = make_class(m, "DatasetError", py::make_tuple(c.base, b.attr("RuntimeError")),
                         "An HDF5 dataset is unreadable or does not follow the schema.");
  c.backend = make_class(m, "BackendError", py::make_tuple(c.base, b.attr("RuntimeError")),
                         "OpenCV or dlib failed inside a kernel; the message is theirs.");

  py::register_local_exception_translator([](std::exception_ptr p) {
    auto& c = classes();
    auto raise = [](const py::object& cls, const char* msg) { PyErr_SetString(cls.ptr(), msg); };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ImageDecodeError& e) { raise(c.decode, e.what());
    } catch (const NoFaceError& e) { raise(c.no_face, e.what());
    } catch (const MultipleFacesError& e) { raise(c.multiple_faces, e.what());
    } catch (const InputError& e) { raise(c.input, e.what());
    } catch (const InputTypeError& e) { raise(c.input_type, e.what());
    } catch (const MissingFileError& e) { raise(c.missing_file, e.what());
    } catch (const ModelError& e) { raise(c.model, e.what());
    } catch (const DatasetError& e) { raise(c.dataset, e.what());
    } catch (const Error& e) { raise(c.base, e.what());
    } catch (const cv::Exception& e) { raise(c.backend, (std::string("OpenCV: ") + e.what()).c_str());
    } catch (const dlib::error& e) { raise(c.backend, (std::string("dlib: ") + e.what()).c_str());
    }
  });
}

}  // namespace facenorm
