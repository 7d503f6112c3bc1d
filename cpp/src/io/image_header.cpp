// Reads image dimensions from the first bytes of a file so huge images can be refused before
// their pixels are decoded. Only the formats facenorm decodes are recognised.
#include <cstdlib>

#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"

namespace facenorm {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint32_t be16(const Bytes& b, size_t i) { return (b[i] << 8) | b[i + 1]; }
std::uint32_t be32(const Bytes& b, size_t i) {
  return (std::uint32_t(b[i]) << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
}
std::uint32_t le16(const Bytes& b, size_t i) { return b[i] | (b[i + 1] << 8); }
std::uint32_t le32(const Bytes& b, size_t i) {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (std::uint32_t(b[i + 3]) << 24);
}

bool starts_with(const Bytes& b, std::initializer_list<std::uint8_t> magic) {
  if (b.size() < magic.size()) return false;
  size_t i = 0;
  for (auto m : magic)
    if (b[i++] != m) return false;
  return true;
}

[[noreturn]] void truncated(const char* format) {
  throw ImageDecodeError(std::string("truncated or corrupt ") + format + " header");
}

ImageHeader jpeg_header(const Bytes& b) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) truncated("JPEG");
    std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) { ++i; continue; }  // fill bytes
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
    std::uint32_t len = be16(b, i + 2);
    bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > b.size()) truncated("JPEG");
      return {"jpeg", int(be16(b, i + 7)), int(be16(b, i + 5))};
    }
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image / start of scan before any SOF
    i += 2 + len;
  }
  truncated("JPEG");
}

ImageHeader tiff_header(const Bytes& b) {
  bool little = b[0] == 'I';
  auto u16 = [&](size_t i) { return little ? le16(b, i) : be16(b, i); };
  auto u32 = [&](size_t i) { return little ? le32(b, i) : be32(b, i); };
  if (b.size() < 8) truncated("TIFF");
  size_t ifd = u32(4);
  if (ifd + 2 > b.size()) truncated("TIFF");
  size_t count = u16(ifd);
  int w = 0, h = 0;
  for (size_t k = 0; k < count; ++k) {
    size_t e = ifd + 2 + 12 * k;
    if (e + 12 > b.size()) truncated("TIFF");
    std::uint32_t tag = u16(e), type = u16(e + 2);
    std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) w = int(value);
    if (tag == 257) h = int(value);
  }
  if (w <= 0 || h <= 0) truncated("TIFF");
  return {"tiff", w, h};
}

ImageHeader webp_header(const Bytes& b) {
  if (b.size() < 30) truncated("WebP");
  std::string chunk(b.begin() + 12, b.begin() + 16);
  if (chunk == "VP8 ") return {"webp", int(le16(b, 26) & 0x3FFF), int(le16(b, 28) & 0x3FFF)};
  if (chunk == "VP8L") {
    std::uint32_t bits = le32(b, 21);
    return {"webp", int((bits & 0x3FFF) + 1), int(((bits >> 14) & 0x3FFF) + 1)};
  }
  if (chunk == "VP8X") {
    int w = int((b[24] | (b[25] << 8) | (b[26] << 16)) + 1);
    int h = int((b[27] | (b[28] << 8) | (b[29] << 16)) + 1);
    return {"webp", w, h};
  }
  truncated("WebP");
}

// libjpeg decodes a truncated file "successfully", padding it with grey and only warning.
// Entropy-coded data never contains FF D9 (0xFF is always stuffed), so its absence after the
// first start-of-scan means the file was cut short.
bool jpeg_has_end_marker(const Bytes& b) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return false;
    std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) { ++i; continue; }
    if (marker == 0xDA) break;
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
    i += 2 + be16(b, i + 2);
  }
  for (size_t k = i + 2; k + 1 < b.size(); ++k)
    if (b[k] == 0xFF && b[k + 1] == 0xD9) return true;
  return false;
}

}  // namespace

void check_image_complete(const Bytes& b, const ImageHeader& header) {
  if (header.format == "jpeg" && !jpeg_has_end_marker(b))
    throw ImageDecodeError("the JPEG data is truncated (no end-of-image marker after the scan data)");
}

ImageHeader read_image_header(const Bytes& b) {
  if (b.empty()) throw ImageDecodeError("file is empty (0 bytes)");
  if (starts_with(b, {0xFF, 0xD8, 0xFF})) return jpeg_header(b);
  if (starts_with(b, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) {
    if (b.size() < 24) truncated("PNG");
    return {"png", int(be32(b, 16)), int(be32(b, 20))};
  }
  if (starts_with(b, {'B', 'M'})) {
    if (b.size() < 26) truncated("BMP");
    return {"bmp", std::abs(int(le32(b, 18))), std::abs(int(le32(b, 22)))};
  }
  if (starts_with(b, {'I', 'I', 42, 0}) || starts_with(b, {'M', 'M', 0, 42})) return tiff_header(b);
  if (starts_with(b, {'R', 'I', 'F', 'F'}) && b.size() >= 12 && std::string(b.begin() + 8, b.begin() + 12) == "WEBP")
    return webp_header(b);
  throw ImageDecodeError("not a JPEG, PNG, BMP, TIFF or WebP file (unrecognised header bytes)");
}

}  // namespace facenorm
