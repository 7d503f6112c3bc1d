// Face regions and crops derived from 68 landmarks.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "facenorm/landmarks.hpp"

namespace facenorm {

enum class Region {
  Lip,         // the vermilion: outer lip contour 48-59, pushed out by 3% of the mouth width
  Mouth,       // lips plus the surrounding perioral skin, below the nose
  MouthNose,   // mouth plus the nose (the PLOS ONE paper's "mouth only" setting)
  FaceNoEyes,  // face contour up to the brows, eyes cut out (the paper's "entire face")
};

Region parse_region(const std::string& name);  // "lip", "mouth", "mouth_nose", "face_no_eyes"
std::string to_string(Region r);

// Float32 mask in [0, 1] of the given size. soft_sigma > 0 blurs the edge (Gaussian, pixels).
cv::Mat region_mask(const Landmarks& pts, cv::Size size, Region region, double soft_sigma = 0.0);

// The polygon(s) a region is made of, in pixel coordinates; the last holes are subtracted.
struct RegionPolygons {
  std::vector<std::vector<cv::Point2f>> include;
  std::vector<std::vector<cv::Point2f>> exclude;
};
RegionPolygons region_polygons(const Landmarks& pts, Region region);

struct RegionCrop {
  cv::Mat image;        // RGB uint8, size x size
  cv::Matx23d matrix;   // original pixel coordinates -> crop pixel coordinates
  cv::Rect2f box;       // the square taken from the original image (may extend past its border)
};

// Square crop around the region's bounding box with a relative margin, resized to size x size
// (224 for the lip crop of the ICMI 2024 paper). Pixels outside the image are mirrored.
RegionCrop crop_region(const cv::Mat& rgb, const Landmarks& pts, Region region, int size = 224,
                       double margin = 0.15);

}  // namespace facenorm
