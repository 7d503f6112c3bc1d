// Zero-copy views of OpenCV images for dlib.
#pragma once

#include <dlib/geometry/rectangle.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>

#include "facenorm/detector.hpp"

namespace facenorm {

inline cv::Mat to_gray(const cv::Mat& rgb) {
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  return gray;
}

inline dlib::rectangle to_dlib_rect(const FaceBox& b) {
  return dlib::rectangle(long(std::lround(b.x0)), long(std::lround(b.y0)), long(std::lround(b.x1)) - 1,
                         long(std::lround(b.y1)) - 1);
}

inline FaceBox from_dlib_rect(const dlib::rectangle& r, double score) {
  return FaceBox{float(r.left()), float(r.top()), float(r.right() + 1), float(r.bottom() + 1), float(score)};
}

}  // namespace facenorm
