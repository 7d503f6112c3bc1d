#include <pybind11/stl.h>

#include "bindings.hpp"
#include "facenorm/align.hpp"
#include "facenorm/detector.hpp"
#include "facenorm/errors.hpp"
#include "facenorm/landmarks.hpp"
#include "facenorm/pose.hpp"
#include "facenorm/regions.hpp"
#include "numpy_convert.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace facenorm {
namespace {

using namespace py_convert;

FaceBox box_from(const py::handle& h) {
  if (py::isinstance<FaceBox>(h)) return h.cast<FaceBox>();
  auto seq = h.cast<std::vector<float>>();
  if (seq.size() != 4 && seq.size() != 5)
    throw InputError("box: expected a FaceBox or (x0, y0, x1, y1) in pixels, got " + std::to_string(seq.size()) + " numbers");
  return FaceBox{seq[0], seq[1], seq[2], seq[3], seq.size() == 5 ? seq[4] : 0.f};
}

void bind_types(py::module_& m) {
  py::class_<FaceBox>(m, "FaceBox", "A detected face: pixel corners (x1, y1 exclusive) and a method-specific score.")
      .def(py::init<float, float, float, float, float>(), "x0"_a, "y0"_a, "x1"_a, "y1"_a, "score"_a = 0.f)
      .def_readwrite("x0", &FaceBox::x0)
      .def_readwrite("y0", &FaceBox::y0)
      .def_readwrite("x1", &FaceBox::x1)
      .def_readwrite("y1", &FaceBox::y1)
      .def_readwrite("score", &FaceBox::score)
      .def_property_readonly("width", &FaceBox::width)
      .def_property_readonly("height", &FaceBox::height)
      .def_property_readonly("area", &FaceBox::area)
      .def("to_list", [](const FaceBox& b) { return std::vector<float>{b.x0, b.y0, b.x1, b.y1}; })
      .def("__repr__", [](const FaceBox& b) {
        return "FaceBox(x0=" + std::to_string(b.x0) + ", y0=" + std::to_string(b.y0) + ", x1=" + std::to_string(b.x1) +
               ", y1=" + std::to_string(b.y1) + ", score=" + std::to_string(b.score) + ")";
      });

  py::class_<HeadPose>(m, "HeadPose",
                       "Head pose in degrees: yaw > 0 turns to the image right, pitch > 0 tilts up, roll > 0 is clockwise.")
      .def(py::init<double, double, double>(), "yaw"_a = 0.0, "pitch"_a = 0.0, "roll"_a = 0.0)
      .def_readwrite("yaw", &HeadPose::yaw)
      .def_readwrite("pitch", &HeadPose::pitch)
      .def_readwrite("roll", &HeadPose::roll)
      .def("to_dict", [](const HeadPose& p) { return py::dict("yaw"_a = p.yaw, "pitch"_a = p.pitch, "roll"_a = p.roll); })
      .def("__repr__", [](const HeadPose& p) {
        return "HeadPose(yaw=" + std::to_string(p.yaw) + ", pitch=" + std::to_string(p.pitch) +
               ", roll=" + std::to_string(p.roll) + ")";
      });
}

void bind_detection(py::module_& m) {
  py::class_<FaceDetector>(m, "FaceDetector", R"(Face detector.

method: "hog" (dlib HOG, default), "cnn" (dlib MMOD; needs model_path), "haar" or "lbp" (OpenCV
cascades from opencv-data). Images whose longer side exceeds max_side are detected on a downscaled
copy; boxes are returned in the original image's pixels, largest first. Under the "largest"
policy a first pass runs at coarse_side (0 = off) and the max_side pass only if it finds nothing.
Thread-safe.)")
      .def(py::init([](const std::string& method, const std::string& model_path, int max_side, int upsample,
                       int coarse_side) {
             DetectorOptions o;
             o.coarse_side = coarse_side;
             o.method = parse_detector_method(method);
             o.model_path = model_path;
             o.max_side = max_side;
             o.upsample = upsample;
             py::gil_scoped_release release;
             return FaceDetector(o);
           }),
           "method"_a = "hog", "model_path"_a = "", "max_side"_a = 800, "upsample"_a = 0, "coarse_side"_a = 384)
      .def(
          "detect",
          [](const FaceDetector& d, const py::array& image, const std::string& policy) {
            cv::Mat view = rgb_view(image);
            auto p = parse_multi_face_policy(policy);
            py::gil_scoped_release release;
            return d.detect(view, p);
          },
          "image"_a, "policy"_a = "largest",
          "Faces in an RGB uint8 (H, W, 3) image. policy: 'largest' (one box), 'all', or 'error' "
          "(MultipleFacesError if several). Raises NoFaceError when there is none.")
      .def(
          "detect_all",
          [](const FaceDetector& d, const py::array& image) {
            cv::Mat view = rgb_view(image);
            py::gil_scoped_release release;
            return d.detect_all(view);
          },
          "image"_a, "Every face found, largest first; an empty list when there is none.")
      .def_property_readonly("method", [](const FaceDetector& d) { return to_string(d.options().method); })
      .def_property_readonly("model_path", [](const FaceDetector& d) { return d.options().model_path; })
      .def_property_readonly("max_side", [](const FaceDetector& d) { return d.options().max_side; })
      .def_property_readonly("coarse_side", [](const FaceDetector& d) { return d.options().coarse_side; });

  py::class_<LandmarkPredictor>(m, "LandmarkPredictor",
                                "dlib's 68-point shape predictor. predict() is thread-safe and releases the GIL.")
      .def(py::init([](const std::string& path) {
             py::gil_scoped_release release;
             return LandmarkPredictor(path);
           }),
           "model_path"_a)
      .def(
          "predict",
          [](const LandmarkPredictor& lp, const py::array& image, const py::handle& box) {
            cv::Mat view = rgb_view(image);
            FaceBox b = box_from(box);
            Landmarks pts;
            {
              py::gil_scoped_release release;
              pts = lp.predict(view, b);
            }
            return landmarks_to_array(pts);
          },
          "image"_a, "box"_a,
          "68 landmarks as float32 (68, 2) pixel (x, y), iBUG 300-W order, 0-based, for the face in box.")
      .def_property_readonly("model_path", &LandmarkPredictor::model_path);
}

void bind_geometry(py::module_& m) {
  m.def(
      "head_pose",
      [](const py::array& landmarks, std::pair<int, int> image_size, double focal_length) {
        Landmarks pts = landmarks_from(landmarks);
        py::gil_scoped_release release;
        return head_pose(pts, cv::Size(image_size.first, image_size.second), focal_length);
      },
      "landmarks"_a, "image_size"_a, "focal_length"_a = 0.0,
      "Yaw/pitch/roll in degrees from float32 (68, 2) landmarks; image_size is (width, height).");
  m.def("is_frontal", &is_frontal, "pose"_a, "max_yaw"_a = 15.0, "max_pitch"_a = 15.0,
        "The ICMI 2024 filter: |yaw| < max_yaw and |pitch| < max_pitch (degrees).");
  m.def("generic_face_model_3d", []() {
    const auto& model = generic_face_model_3d();
    py::array_t<float> out({py::ssize_t(model.size()), py::ssize_t(3)});
    auto w = out.mutable_unchecked<2>();
    for (size_t i = 0; i < model.size(); ++i) {
      w(py::ssize_t(i), 0) = model[i].x, w(py::ssize_t(i), 1) = model[i].y, w(py::ssize_t(i), 2) = model[i].z;
    }
    return out;
  });

  py::class_<AlignedFace>(m, "AlignedFace")
      .def_property_readonly("image", [](const AlignedFace& a) { return mat_to_array(a.image); })
      .def_property_readonly("landmarks", [](const AlignedFace& a) { return landmarks_to_array(a.landmarks); })
      .def_property_readonly("matrix", [](const AlignedFace& a) { return matx_to_array(a.matrix); });

  m.def(
      "align_face",
      [](const py::array& image, const py::array& landmarks, int size, double eye_distance, double eyes_x,
         double eyes_y, bool blur_background, std::optional<py::array> out) {
        cv::Mat view = rgb_view(image);
        Landmarks pts = landmarks_from(landmarks);
        cv::Mat out_view;
        if (out) out_view = writable_view(*out, CV_8UC3, size, size, "out");
        AlignOptions o;
        o.size = size, o.eye_distance = eye_distance, o.eyes_x = eyes_x, o.eyes_y = eyes_y;
        o.blur_background = blur_background;
        AlignedFace a;
        {
          py::gil_scoped_release release;
          a = align_face(view, pts, o);
          if (out) a.image.copyTo(out_view);
        }
        return a;
      },
      "image"_a, "landmarks"_a, "size"_a = 1024, "eye_distance"_a = 100.0, "eyes_x"_a = 0.5, "eyes_y"_a = 0.45,
      "blur_background"_a = true, "out"_a = py::none(),
      R"(Align a face as in the PLOS ONE 2023 paper: eye line horizontal, eye_distance pixels between
the eye centres, size x size crop with the eye midpoint at (eyes_x, eyes_y) * size. Where the crop
leaves the photo, mirrored replicas fill it, blended into a blurred copy through a smoothed mask.
Returns AlignedFace(image, landmarks, matrix); matrix (2, 3) maps original to aligned pixels.)");

  m.def(
      "region_mask",
      [](const py::array& landmarks, std::pair<int, int> shape, const std::string& region, double soft_sigma,
         std::optional<py::array> out) {
        Landmarks pts = landmarks_from(landmarks);
        Region r = parse_region(region);
        cv::Mat out_view;
        if (out) out_view = writable_view(*out, CV_32F, shape.first, shape.second, "out");
        cv::Mat mask;
        {
          py::gil_scoped_release release;
          mask = region_mask(pts, cv::Size(shape.second, shape.first), r, soft_sigma);
          if (out) mask.copyTo(out_view);
        }
        return out ? *out : mat_to_array(std::move(mask));
      },
      "landmarks"_a, "shape"_a, "region"_a = "lip", "soft_sigma"_a = 0.0, "out"_a = py::none(),
      "Float32 (H, W) mask in [0, 1] of a region: lip, mouth, mouth_nose or face_no_eyes. shape is (H, W).");

  py::class_<RegionCrop>(m, "RegionCrop")
      .def_property_readonly("image", [](const RegionCrop& c) { return mat_to_array(c.image); })
      .def_property_readonly("matrix", [](const RegionCrop& c) { return matx_to_array(c.matrix); })
      .def_property_readonly("box", [](const RegionCrop& c) {
        return std::vector<float>{c.box.x, c.box.y, c.box.x + c.box.width, c.box.y + c.box.height};
      });

  m.def(
      "crop_region",
      [](const py::array& image, const py::array& landmarks, const std::string& region, int size, double margin) {
        cv::Mat view = rgb_view(image);
        Landmarks pts = landmarks_from(landmarks);
        Region r = parse_region(region);
        py::gil_scoped_release release;
        return crop_region(view, pts, r, size, margin);
      },
      "image"_a, "landmarks"_a, "region"_a = "lip", "size"_a = 224, "margin"_a = 0.15,
      "Square crop around a region resized to size x size (224 for the ICMI 2024 lip crop). "
      "Returns RegionCrop(image, matrix, box).");
}

}  // namespace

void bind_face(py::module_& m) {
  bind_types(m);
  bind_detection(m);
  bind_geometry(m);
}

}  // namespace facenorm
