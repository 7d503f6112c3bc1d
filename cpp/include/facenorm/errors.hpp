// One exception hierarchy for the whole core. The Python bindings translate each class once
// into facenorm.FacenormError subclasses that also derive from the matching builtin.
#pragma once

#include <stdexcept>
#include <string>

namespace facenorm {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad argument values: shapes, ranges, NaN landmarks, tiny images (Python: ValueError).
class InputError : public Error {
 public:
  using Error::Error;
};

// Wrong element type of an array (Python: TypeError).
class InputTypeError : public Error {
 public:
  using Error::Error;
};

// A path that does not exist (Python: FileNotFoundError).
class MissingFileError : public Error {
 public:
  using Error::Error;
};

// A file that exists but is not a decodable image: empty, truncated, text (Python: ValueError).
class ImageDecodeError : public InputError {
 public:
  using InputError::InputError;
};

// No face found where one was required (Python: ValueError).
class NoFaceError : public InputError {
 public:
  using InputError::InputError;
};

// Several faces found under the "error" policy (Python: ValueError).
class MultipleFacesError : public InputError {
 public:
  using InputError::InputError;
};

// A model file is missing, corrupt or of the wrong kind (Python: RuntimeError).
class ModelError : public Error {
 public:
  using Error::Error;
};

// An HDF5 dataset cannot be read or written as the schema says (Python: RuntimeError).
class DatasetError : public Error {
 public:
  using Error::Error;
};

}  // namespace facenorm
