#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>  // paths as str or os.PathLike (pathlib.Path)

#include "bindings.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {

void bind_image(py::module_& m) {
  using namespace py_convert;
  m.attr("DEFAULT_MAX_IMAGE_PIXELS") = kDefaultMaxImagePixels;
  m.attr("MIN_IMAGE_SIDE") = kMinImageSide;

  m.def(
      "read_image",
      [](const std::filesystem::path& path, std::int64_t max_pixels) {
        cv::Mat img;
        {
          py::gil_scoped_release release;
          img = read_image(path.string(), max_pixels);
        }
        return mat_to_array(std::move(img));
      },
      "path"_a, "max_pixels"_a = kDefaultMaxImagePixels,
      R"(Read a JPEG/PNG/BMP/TIFF/WebP file as RGB uint8 (H, W, 3), EXIF orientation applied.

Grayscale, RGBA (alpha dropped) and 16-bit images become RGB uint8. Images over max_pixels are
refused from their header, before any pixel is decoded. Raises MissingFileError,
ImageDecodeError (empty, truncated, not an image) or InputError (too small / too large).)");

  m.def(
      "decode_image",
      [](const py::bytes& data, std::int64_t max_pixels) {
        std::string s = data;
        std::vector<std::uint8_t> bytes(s.begin(), s.end());
        cv::Mat img;
        {
          py::gil_scoped_release release;
          img = decode_image(bytes, max_pixels);
        }
        return mat_to_array(std::move(img));
      },
      "data"_a, "max_pixels"_a = kDefaultMaxImagePixels, "Decode an in-memory image file; see read_image.");

  m.def(
      "read_image_header",
      [](const py::bytes& data) {
        std::string s = data;
        auto h = read_image_header(std::vector<std::uint8_t>(s.begin(), s.end()));
        return py::dict("format"_a = h.format, "width"_a = h.width, "height"_a = h.height);
      },
      "data"_a, "Format, width and height from an image file's first bytes (no decoding).");

  m.def(
      "write_image",
      [](const std::filesystem::path& path, const py::array& image) {
        cv::Mat view = rgb_view(image);
        py::gil_scoped_release release;
        write_image(path.string(), view);
      },
      "path"_a, "image"_a,
      "Write an RGB uint8 (H, W, 3) image; format from the extension; atomic (temp file + rename).");
}

}  // namespace facenorm
