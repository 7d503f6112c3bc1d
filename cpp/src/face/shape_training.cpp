#include "facenorm/shape_training.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include <dlib/image_processing/shape_predictor_trainer.h>

#include "dlib_convert.hpp"
#include "facenorm/errors.hpp"

namespace facenorm {
namespace {

// dlib's trainer reports progress on std::cout; stdout belongs to the caller's output (one JSON
// document under --json), so progress goes to stderr while the trainer runs.
class CoutToCerr {
 public:
  CoutToCerr() : saved_(std::cout.rdbuf(std::cerr.rdbuf())) {}
  ~CoutToCerr() { std::cout.rdbuf(saved_); }
  CoutToCerr(const CoutToCerr&) = delete;
  CoutToCerr& operator=(const CoutToCerr&) = delete;

 private:
  std::streambuf* saved_;
};

}  // namespace

ShapeTrainingResult train_shape_predictor(const std::vector<cv::Mat>& gray, const std::vector<FaceBox>& boxes,
                                          const std::vector<Landmarks>& points,
                                          const ShapeTrainingOptions& options, const std::string& out_path) {
  if (gray.empty() || gray.size() != boxes.size() || gray.size() != points.size())
    throw InputError("shape training: expected as many faces, boxes and landmark sets (at least one), got " +
                     std::to_string(gray.size()) + ", " + std::to_string(boxes.size()) + " and " +
                     std::to_string(points.size()));
  if (options.cascade_depth < 1 || options.tree_depth < 1 || options.trees_per_cascade_level < 1 ||
      options.oversampling < 1 || options.feature_pool_size < 2 || options.threads < 1 ||
      !(options.nu > 0 && options.nu <= 1))
    throw InputError("shape training: options out of range (depths, trees, oversampling, threads >= 1; 0 < nu <= 1)");
  std::vector<dlib::cv_image<unsigned char>> images;
  std::vector<std::vector<dlib::full_object_detection>> objects(gray.size());
  images.reserve(gray.size());
  for (size_t i = 0; i < gray.size(); ++i) {
    if (gray[i].type() != CV_8UC1 || gray[i].empty())
      throw InputError("shape training: face " + std::to_string(i) + " is not a uint8 grayscale image");
    if (points[i].size() != size_t(kNumLandmarks))
      throw InputError("shape training: face " + std::to_string(i) + " has " + std::to_string(points[i].size()) +
                       " points, expected 68");
    if (!(boxes[i].width() > 1 && boxes[i].height() > 1))
      throw InputError("shape training: face " + std::to_string(i) + " has an empty box");
    images.emplace_back(gray[i]);
    std::vector<dlib::point> parts;
    for (const auto& p : points[i]) parts.emplace_back(long(std::lround(p.x)), long(std::lround(p.y)));
    objects[i].emplace_back(to_dlib_rect(boxes[i]), parts);
  }
  dlib::shape_predictor_trainer trainer;
  trainer.set_cascade_depth(unsigned(options.cascade_depth));
  trainer.set_tree_depth(unsigned(options.tree_depth));
  trainer.set_num_trees_per_cascade_level(unsigned(options.trees_per_cascade_level));
  trainer.set_nu(options.nu);
  trainer.set_oversampling_amount(unsigned(options.oversampling));
  trainer.set_feature_pool_size(unsigned(options.feature_pool_size));
  trainer.set_lambda(options.lambda);
  trainer.set_num_test_splits(unsigned(options.num_test_splits));
  trainer.set_num_threads(unsigned(options.threads));
  trainer.set_random_seed(options.seed);
  if (options.verbose) trainer.be_verbose();
  dlib::shape_predictor model;
  {
    CoutToCerr progress_to_stderr;
    model = trainer.train(images, objects);
  }

  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    dlib::full_object_detection shape = model(images[i], objects[i][0].get_rect());
    for (unsigned k = 0; k < shape.num_parts(); ++k) {
      sum += dlib::length(shape.part(k) - objects[i][0].part(k));
      ++count;
    }
  }
  const std::string tmp = out_path + ".partial";
  try {
    dlib::serialize(tmp) << model;
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    throw Error(out_path + ": cannot write the shape predictor (" + e.what() + ")");
  }
  if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(out_path + ": cannot move the trained shape predictor into place");
  }
  return {sum / double(count), int(images.size())};
}

}  // namespace facenorm
