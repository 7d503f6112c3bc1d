#include <dlib/image_transforms.h>
#include <dlib/image_processing/full_object_detection.h>
#include <dlib/opencv/cv_image.h>

#include "facenorm/errors.hpp"
#include "facenorm/normalize.hpp"

namespace facenorm {

cv::Mat face_chip(const cv::Mat& rgb, const Landmarks& pts, int size, double padding) {
  if (rgb.type() != CV_8UC3 || rgb.empty()) throw InputError("image: expected a non-empty RGB uint8 image");
  if (int(pts.size()) != kNumLandmarks) throw InputError("landmarks: expected 68 points");
  if (size < 8 || !(padding >= 0)) throw InputError("face_chip: expected size >= 8 and padding >= 0");
  std::vector<dlib::point> parts;
  long left = 0, top = 0, right = 0, bottom = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    parts.emplace_back(std::lround(pts[i].x), std::lround(pts[i].y));
    if (i == 0 || pts[i].x < left) left = long(pts[i].x);
    if (i == 0 || pts[i].y < top) top = long(pts[i].y);
    if (i == 0 || pts[i].x > right) right = long(pts[i].x);
    if (i == 0 || pts[i].y > bottom) bottom = long(pts[i].y);
  }
  dlib::full_object_detection shape(dlib::rectangle(left, top, right, bottom), parts);
  auto details = dlib::get_face_chip_details(shape, unsigned(size), padding);
  // dlib's interpolation over an RGB view (cv_image wraps the BGR/RGB bytes as given).
  dlib::cv_image<dlib::rgb_pixel> view(rgb);
  dlib::matrix<dlib::rgb_pixel> chip;
  dlib::extract_image_chip(view, details, chip);
  cv::Mat out(size, size, CV_8UC3);
  for (int r = 0; r < size; ++r)
    for (int col = 0; col < size; ++col) {
      const auto& p = chip(r, col);
      out.at<cv::Vec3b>(r, col) = cv::Vec3b(p.red, p.green, p.blue);
    }
  return out;
}

}  // namespace facenorm
