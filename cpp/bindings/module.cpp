#include <opencv2/core.hpp>

#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "facenorm's C++ core. Use the public API in `facenorm`, not this module directly.";
  m.attr("__version__") = FACENORM_VERSION;
  pybind11::dict build;
  build["opencv"] = CV_VERSION;
  build["dlib_data_dir"] = FACENORM_DLIB_DATA_DIR;
  build["opencv_data_dir"] = FACENORM_OPENCV_DATA_DIR;
#ifdef NDEBUG
  build["build_type"] = "release";
#else
  build["build_type"] = "debug";
#endif
  m.attr("build_info") = build;
  m.def("set_num_threads", [](int n) { cv::setNumThreads(n); }, pybind11::arg("n"),
        "Threads OpenCV may use inside one kernel call (0: sequential). Batch jobs that run one "
        "image per thread set 1 so the two levels of parallelism do not oversubscribe the cores.");
  m.def("get_num_threads", []() { return cv::getNumThreads(); });
  facenorm::bind_errors(m);
  facenorm::bind_image(m);
  facenorm::bind_face(m);
  facenorm::bind_warp(m);
  facenorm::bind_lipsynth(m);
  facenorm::bind_score(m);
  facenorm::bind_normalize(m);
  facenorm::bind_shape_training(m);
}
