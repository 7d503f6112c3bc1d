#include <cstdio>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"

namespace facenorm {

void check_rgb8(const cv::Mat& image, const char* what) {
  if (image.empty()) throw InputError(std::string(what) + " is empty");
  if (image.type() != CV_8UC3)
    throw InputError(std::string(what) + ": expected an RGB uint8 image with 3 channels");
  if (image.cols < kMinImageSide || image.rows < kMinImageSide)
    throw InputError(std::string(what) + ": expected at least " + std::to_string(kMinImageSide) + "x" +
                     std::to_string(kMinImageSide) + " pixels, got " + std::to_string(image.cols) + "x" +
                     std::to_string(image.rows));
}

cv::Mat to_rgb8(const cv::Mat& in) {
  cv::Mat m = in;
  if (m.depth() != CV_8U) {
    double scale = 1.0;
    if (m.depth() == CV_16U) scale = 255.0 / 65535.0;
    else if (m.depth() == CV_16S) scale = 255.0 / 32767.0;
    else if (m.depth() == CV_32F || m.depth() == CV_64F) scale = 255.0;  // floats are [0, 1]
    m.convertTo(m, CV_MAKETYPE(CV_8U, m.channels()), scale);
  }
  cv::Mat rgb;
  switch (m.channels()) {
    case 1: cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(m, rgb, cv::COLOR_BGRA2RGB); break;  // alpha dropped, not premultiplied
    default: throw ImageDecodeError("unsupported channel count " + std::to_string(m.channels()));
  }
  return rgb;
}

cv::Mat decode_image(const std::vector<std::uint8_t>& bytes, std::int64_t max_pixels,
                     const std::string& name) {
  ImageHeader header;
  try {
    header = read_image_header(bytes);
    check_image_complete(bytes, header);
  } catch (const ImageDecodeError& e) {
    throw ImageDecodeError(name + ": " + e.what());
  }
  std::int64_t pixels = std::int64_t(header.width) * header.height;
  if (pixels > max_pixels)
    throw InputError(name + ": image is " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                     " = " + std::to_string(pixels / 1000000) + " megapixels; expected at most " +
                     std::to_string(max_pixels / 1000000) +
                     " megapixels (refused before decoding; downscale it or raise max_pixels)");
  cv::Mat decoded;
  try {
    // ANYDEPTH|ANYCOLOR keeps 16-bit and alpha for our own conversion; OpenCV still applies
    // the EXIF orientation for these flags (only IMREAD_UNCHANGED skips it).
    decoded = cv::imdecode(bytes, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
  } catch (const cv::Exception& e) {
    throw ImageDecodeError(name + ": OpenCV could not decode the " + header.format + " data: " + e.what());
  }
  if (decoded.empty())
    throw ImageDecodeError(name + ": the " + header.format + " data is truncated or corrupt (decoder returned nothing)");
  cv::Mat rgb = to_rgb8(decoded);
  check_rgb8(rgb, name.c_str());
  return rgb;
}

cv::Mat read_image(const std::string& path, std::int64_t max_pixels) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw MissingFileError(path + ": no such file");
  if (S_ISDIR(st.st_mode)) throw InputError(path + ": expected an image file, got a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingFileError(path + ": cannot open for reading");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw ImageDecodeError(path + ": file is empty (0 bytes)");
  return decode_image(bytes, max_pixels, path);
}

void write_image(const std::string& path, const cv::Mat& rgb) {
  if (rgb.empty() || rgb.depth() != CV_8U)
    throw InputError("write_image: expected a non-empty uint8 image");
  cv::Mat bgr;
  if (rgb.channels() == 3) cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  else bgr = rgb;
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) throw InputError(path + ": expected a file extension (.png, .jpg, ...)");
  std::vector<std::uint8_t> encoded;
  try {
    if (!cv::imencode(path.substr(dot), bgr, encoded))
      throw InputError(path + ": OpenCV cannot encode this extension");
  } catch (const cv::Exception& e) {
    throw InputError(path + ": cannot encode: " + e.what());
  }
  std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw MissingFileError(path + ": cannot open its folder for writing");
    out.write(reinterpret_cast<const char*>(encoded.data()), std::streamsize(encoded.size()));
    if (!out) { std::remove(tmp.c_str()); throw Error(path + ": write failed"); }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": could not move the finished file into place");
  }
}

}  // namespace facenorm
