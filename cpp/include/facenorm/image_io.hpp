// Image decoding: every input becomes RGB uint8 (H, W, 3), EXIF orientation applied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facenorm {

// Images above this many pixels are refused before any pixel is decoded (the header is read
// first), so a hostile or huge file cannot exhaust memory.
constexpr std::int64_t kDefaultMaxImagePixels = 100'000'000;
// Smaller images cannot hold a face the detectors or the landmark model can use.
constexpr int kMinImageSide = 32;

struct ImageHeader {
  std::string format;  // "jpeg", "png", "bmp", "tiff", "webp"
  int width = 0;
  int height = 0;
};

// Reads width/height from the file header without decoding pixels.
// Throws ImageDecodeError when the bytes are not one of the supported formats.
ImageHeader read_image_header(const std::vector<std::uint8_t>& bytes);

// Throws ImageDecodeError for files the decoder would accept but that were cut short
// (a truncated JPEG decodes with grey padding and only a warning).
void check_image_complete(const std::vector<std::uint8_t>& bytes, const ImageHeader& header);

// Converts any OpenCV image (gray, BGR, BGRA, 8/16-bit, float) to RGB uint8.
cv::Mat to_rgb8(const cv::Mat& decoded_bgr_any);

// Decodes an in-memory JPEG/PNG/BMP/TIFF/WebP file into RGB uint8 with EXIF orientation applied.
cv::Mat decode_image(const std::vector<std::uint8_t>& bytes,
                     std::int64_t max_pixels = kDefaultMaxImagePixels,
                     const std::string& name = "<bytes>");

// Reads and decodes a file. Throws MissingFileError, ImageDecodeError or InputError.
cv::Mat read_image(const std::string& path, std::int64_t max_pixels = kDefaultMaxImagePixels);

// Writes an RGB uint8 image; the format follows the extension. Writes to a temporary file
// first and renames it, so a failed write leaves nothing half-written.
void write_image(const std::string& path, const cv::Mat& rgb);

// Throws InputError unless `image` is a non-empty CV_8UC3 image at least kMinImageSide wide/high.
void check_rgb8(const cv::Mat& image, const char* what = "image");

}  // namespace facenorm
