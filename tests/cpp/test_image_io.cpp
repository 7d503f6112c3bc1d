#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "facenorm/errors.hpp"
#include "facenorm/image_io.hpp"
#include "test_support.hpp"

using namespace facenorm;

namespace {
std::vector<std::uint8_t> encode(const cv::Mat& bgr, const std::string& ext) {
  std::vector<std::uint8_t> out;
  cv::imencode(ext, bgr, out);
  return out;
}
}  // namespace

TEST(ImageIo, HeaderMatchesEveryFormat) {
  cv::Mat img(37, 53, CV_8UC3, cv::Scalar(10, 20, 30));
  for (std::string ext : {".jpg", ".png", ".bmp", ".tiff", ".webp"}) {
    auto h = read_image_header(encode(img, ext));
    EXPECT_EQ(h.width, 53) << ext;
    EXPECT_EQ(h.height, 37) << ext;
  }
}

TEST(ImageIo, SixteenBitGrayBecomesRgb8) {
  cv::Mat g(40, 40, CV_16U, cv::Scalar(65535));
  cv::Mat rgb = decode_image(encode(g, ".png"));
  ASSERT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb.at<cv::Vec3b>(5, 5), cv::Vec3b(255, 255, 255));
}

TEST(ImageIo, ChannelOrderIsRgb) {
  cv::Mat bgr(40, 40, CV_8UC3, cv::Scalar(255, 0, 0));  // pure blue in OpenCV's BGR
  cv::Mat rgb = decode_image(encode(bgr, ".png"));
  EXPECT_EQ(rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
}

TEST(ImageIo, BadInputsThrowTheDocumentedClasses) {
  EXPECT_THROW(read_image("/nonexistent/face.jpg"), MissingFileError);
  EXPECT_THROW(decode_image({}), ImageDecodeError);
  std::string text = "this is not a jpeg";
  EXPECT_THROW(decode_image(std::vector<std::uint8_t>(text.begin(), text.end())), ImageDecodeError);
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(1, 2, 3));
  auto jpg = encode(img, ".jpg");
  jpg.resize(jpg.size() / 3);
  EXPECT_THROW(decode_image(jpg), ImageDecodeError);
  EXPECT_THROW(decode_image(encode(cv::Mat(16, 16, CV_8UC3), ".png")), InputError);
  EXPECT_THROW(decode_image(encode(img, ".png"), 1000), InputError);  // 40,000 px > 1,000
}
