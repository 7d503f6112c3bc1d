// Shared fixtures: real faces from ../shared/data (skipped when absent) and the system's models.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace facenorm::testing {

inline std::string shared_data_dir() { return std::string(FACENORM_SOURCE_DIR) + "/../shared/data"; }

inline std::string celeba_image(const std::string& split, int index) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(shared_data_dir()) / "celebamask" / split / "images";
  if (!fs::exists(dir)) return "";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return index < int(names.size()) ? names[size_t(index)] : "";
}

inline std::string landmark_model() { return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"; }

#define FACENORM_REQUIRE_FILE(path)                                                       \
  if ((path).empty() || !std::filesystem::exists(path)) GTEST_SKIP() << "missing " << (path)

}  // namespace facenorm::testing
