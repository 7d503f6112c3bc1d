// The benchmarks' workload photo: the first CelebAMask-HQ test face when ../shared/data is
// present, else scikit-image's astronaut.png (shipped by Debian), so benches run anywhere.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

inline std::string benchmark_face_path() {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(FACENORM_SOURCE_DIR) / ".." / "shared" / "data" / "celebamask" / "test" / "images";
  if (!fs::exists(dir)) return "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.front();
}
