"""Every bad input gets a documented facenorm exception that also derives from the builtin."""
import struct
import zlib

import cv2
import numpy as np
import pytest

import facenorm as fn


@pytest.fixture(scope="module")
def face_image(celeba_images):
    return fn.read_image(celeba_images[0])


@pytest.fixture(scope="module")
def face_landmarks(face_image, pipeline):
    return pipeline.faces(face_image)[0].landmarks


def png_header_claiming(width, height) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_exception_classes_derive_from_builtins():
    assert issubclass(fn.MissingFileError, FileNotFoundError)
    assert issubclass(fn.ImageDecodeError, ValueError)
    assert issubclass(fn.InputError, ValueError)
    assert issubclass(fn.InputTypeError, TypeError)
    assert issubclass(fn.NoFaceError, ValueError)
    assert issubclass(fn.ModelError, RuntimeError)
    assert issubclass(fn.DatasetError, RuntimeError)
    for cls in (fn.MissingFileError, fn.ImageDecodeError, fn.NoFaceError, fn.ModelError, fn.DatasetError):
        assert issubclass(cls, fn.FacenormError)


def test_missing_file(tmp_path):
    with pytest.raises(fn.MissingFileError, match="no such file"):
        fn.read_image(str(tmp_path / "nope.jpg"))


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(fn.InputError, match="directory"):
        fn.read_image(str(tmp_path))


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(fn.ImageDecodeError, match="empty"):
        fn.read_image(str(p))


def test_truncated_jpeg(tmp_path, celeba_images):
    data = open(celeba_images[0], "rb").read()
    p = tmp_path / "truncated.jpg"
    p.write_bytes(data[: len(data) // 4])
    with pytest.raises(fn.ImageDecodeError, match="truncated|corrupt"):
        fn.read_image(str(p))


def test_text_file_named_jpg(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("patient 12, follow-up in March\n")
    with pytest.raises(fn.ImageDecodeError, match="not a JPEG"):
        fn.read_image(str(p))


def test_image_under_32_pixels(tmp_path):
    p = tmp_path / "tiny.png"
    cv2.imwrite(str(p), np.zeros((20, 300, 3), np.uint8))
    with pytest.raises(fn.InputError, match="at least 32x32"):
        fn.read_image(str(p))


def test_image_over_100_megapixels_is_refused_from_its_header(tmp_path):
    p = tmp_path / "huge.png"
    p.write_bytes(png_header_claiming(20000, 20000))  # 400 MP; no pixel data follows
    with pytest.raises(fn.InputError, match="400 megapixels; expected at most 100"):
        fn.read_image(str(p))


def test_supported_formats_and_conversions(tmp_path, face_image):
    bgr = cv2.cvtColor(face_image, cv2.COLOR_RGB2BGR)
    for ext in ("png", "bmp", "tiff", "webp"):
        p = str(tmp_path / f"face.{ext}")
        cv2.imwrite(p, bgr, [cv2.IMWRITE_WEBP_QUALITY, 101] if ext == "webp" else [])
        np.testing.assert_array_equal(fn.read_image(p), face_image)
    gray16 = (cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / "g16.png"), gray16)
    g = fn.read_image(str(tmp_path / "g16.png"))
    assert g.dtype == np.uint8 and g.shape == face_image.shape
    np.testing.assert_array_equal(g[..., 0], gray16 // 257)
    rgba = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    np.testing.assert_array_equal(fn.read_image(str(tmp_path / "rgba.png")), face_image)


def test_exif_orientation_is_applied(tmp_path, face_image):
    """A JPEG stored sideways with EXIF orientation 6 (rotate 90 clockwise) reads upright."""
    sideways = np.ascontiguousarray(np.rot90(face_image, k=1))  # counter-clockwise on disk
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(sideways, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00" + b"\x00" * 4
    app1 = b"Exif\x00\x00" + tiff
    data = jpg.tobytes()
    data = data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]
    p = tmp_path / "rotated.jpg"
    p.write_bytes(data)
    upright = fn.read_image(str(p))
    assert upright.shape == face_image.shape
    assert np.abs(upright.astype(int) - face_image.astype(int)).mean() < 4


@pytest.mark.parametrize("bad, error, message", [
    (lambda im: im.astype(np.float32), fn.InputTypeError, "expected a uint8 RGB image"),
    (lambda im: im[:, :, 0], fn.InputError, r"expected shape \(H, W, 3\)"),
    (lambda im: np.dstack([im, im[:, :, :1]]), fn.InputError, r"expected shape \(H, W, 3\)"),
    (lambda im: im[:, ::2], fn.InputError, "C-contiguous"),
    (lambda im: np.asfortranarray(im), fn.InputError, "C-contiguous"),
])
def test_wrong_arrays_are_rejected_not_cast(face_image, pipeline, bad, error, message):
    with pytest.raises(error, match=message):
        pipeline.detector.detect(bad(face_image))


def test_wrong_landmark_arrays(face_image, face_landmarks):
    with pytest.raises(TypeError, match="float32"):
        fn.align_face(face_image, face_landmarks.astype(np.float64))
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        fn.align_face(face_image, face_landmarks[:67])
    nan = face_landmarks.copy()
    nan[10, 0] = np.nan
    with pytest.raises(fn.InputError, match="not finite"):
        fn.align_face(face_image, nan)
    far = face_landmarks + np.float32(1e5)
    with pytest.raises(fn.InputError, match="far outside"):
        fn.head_pose(far, (512, 512))


def test_read_only_and_mismatched_outputs(face_image, face_landmarks):
    out = np.zeros((512, 512), np.float32)
    out.setflags(write=False)
    with pytest.raises(fn.InputError, match="read-only"):
        fn.region_mask(face_landmarks, (512, 512), "lip", out=out)
    with pytest.raises(fn.InputError, match=r"expected float32 array of shape \(512, 512\)"):
        fn.region_mask(face_landmarks, (512, 512), "lip", out=np.zeros((10, 10), np.float32))
    ok = np.zeros((512, 512), np.float32)
    assert fn.region_mask(face_landmarks, (512, 512), "lip", out=ok) is ok and ok.max() == 1.0
    aligned = np.zeros((256, 256, 3), np.uint8)
    aligned.setflags(write=False)
    with pytest.raises(fn.InputError, match="read-only"):
        fn.align_face(face_image, face_landmarks, size=256, out=aligned)


def test_no_face_and_several_faces(face_image, pipeline, celeba_images):
    flat = np.full((300, 300, 3), 127, np.uint8)
    with pytest.raises(fn.NoFaceError, match="no face"):
        pipeline.detector.detect(flat)
    other = fn.read_image(celeba_images[3])
    two = np.ascontiguousarray(np.hstack([face_image, other]))
    with pytest.raises(fn.MultipleFacesError, match="found 2"):
        pipeline.detector.detect(two, "error")
    assert len(pipeline.detector.detect(two, "all")) == 2
    assert len(pipeline.detector.detect(two, "largest")) == 1


def test_bad_names_and_options(face_image, face_landmarks):
    with pytest.raises(fn.InputError, match="expected one of hog, cnn, haar, lbp"):
        fn.FaceDetector("yolo")
    with pytest.raises(fn.InputError, match="expected one of lip, mouth, mouth_nose, face_no_eyes"):
        fn.region_mask(face_landmarks, (512, 512), "ear")
    with pytest.raises(fn.InputError, match="largest, all, error"):
        fn.FaceDetector().detect(face_image, "biggest")


def test_write_image_leaves_nothing_half_written(tmp_path, face_image):
    with pytest.raises(fn.MissingFileError):
        fn.write_image(str(tmp_path / "no_such_dir" / "x.png"), face_image)
    p = tmp_path / "ok.png"
    fn.write_image(str(p), face_image)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["ok.png"]
    np.testing.assert_array_equal(fn.read_image(str(p)), face_image)


def test_as_rgb8_is_the_explicit_conversion(face_image):
    f = face_image.astype(np.float32) / 255.0
    np.testing.assert_array_equal(fn.as_rgb8(f), face_image)
    with pytest.raises(fn.InputTypeError):
        fn.as_rgb8(face_image.astype(np.int64))


def test_image_paths_may_be_pathlib_paths(tmp_path, astronaut_path):
    from pathlib import Path
    image = fn.read_image(Path(astronaut_path))
    fn.write_image(tmp_path / "copy.png", image)
    assert np.array_equal(fn.read_image(tmp_path / "copy.png"), image)
