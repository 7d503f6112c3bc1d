"""Detection, landmarks, pose, alignment and crops on real faces (CelebAMask-HQ, astronaut.png)."""
import cv2
import numpy as np
import pytest

import facenorm as fn


def eye_centres(lm):
    return lm[36:42].mean(0), lm[42:48].mean(0)


def iou(a, b):
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    return inter / (a.area + b.area - inter)


@pytest.fixture(scope="module")
def faces(celeba_images, pipeline):
    """(image, FaceRecord) for the first 30 test faces that HOG finds."""
    out = []
    for path in celeba_images[:32]:
        image = fn.read_image(path)
        found = pipeline.detector.detect_all(image)
        if len(found) == 1:
            out.append((image, pipeline.faces(image)[0]))
    assert len(out) >= 28, "HOG should find a face in nearly every CelebA test image"
    return out


@pytest.mark.parametrize("method", ["haar", "lbp", "cnn"])
def test_detectors_agree_on_frontal_faces(faces, pipeline, method):
    if method == "cnn":
        try:
            fn.models.resolve("mmod_human_face_detector")
        except fn.ModelError as e:
            pytest.skip(f"MMOD model not fetched: {e}")
    # dlib's MMOD CNN takes seconds per image on a CPU: a smaller copy and fewer faces.
    other = fn.FaceDetector(method, max_side=320) if method == "cnn" else fn.FaceDetector(method)
    overlaps, errors = [], []
    for image, face in (faces[:10] if method == "cnn" else faces):
        boxes = other.detect_all(image)
        overlaps.append(iou(boxes[0], face.box) if boxes else 0.0)
        if boxes:
            lm = pipeline.predictor.predict(image, boxes[0])
            iod = np.linalg.norm(np.subtract(*eye_centres(face.landmarks)))
            errors.append(np.linalg.norm(lm - face.landmarks, axis=1).mean() / iod)
    overlaps = np.array(overlaps)
    assert (overlaps > 0.5).mean() >= 0.9, f"{method} boxes disagree with HOG: IoU {np.round(overlaps, 2)}"
    # Landmarks started from either box land in the same place (calibrated boxes).
    assert np.median(errors) < 0.03


def test_eyes_above_nose_above_mouth(faces):
    for _, face in faces:
        lm = face.landmarks
        assert lm.dtype == np.float32 and lm.shape == (68, 2)
        eyes_y = np.mean([c[1] for c in eye_centres(lm)])
        assert eyes_y < lm[30, 1] < lm[51, 1] < lm[57, 1] < lm[8, 1]
        # Subject's right eye (36-41) is on the image left.
        assert eye_centres(lm)[0][0] < eye_centres(lm)[1][0]


def test_pose_near_zero_on_symmetric_frontal_faces(faces):
    """Faces chosen by an independent symmetry test (nose tip between the eyes, jaw balanced)."""
    yaws = []
    for image, face in faces:
        lm = face.landmarks
        r, l = eye_centres(lm)
        iod = np.linalg.norm(l - r)
        nose_offset = (lm[30, 0] - (r[0] + l[0]) / 2) / iod
        jaw_balance = ((lm[16, 0] - lm[30, 0]) - (lm[30, 0] - lm[0, 0])) / iod
        if abs(nose_offset) < 0.03 and abs(jaw_balance) < 0.1:
            eye_line = np.degrees(np.arctan2(l[1] - r[1], l[0] - r[0]))
            assert abs(face.pose.yaw) < 5.0
            assert abs(face.pose.roll - eye_line) < 5.0
            yaws.append(face.pose.yaw)
    assert len(yaws) >= 3
    # Pitch has no independent reference in these photos (symmetry says nothing about it; some
    # of these faces really look up or down); it is checked on synthetic projections in
    # tests/cpp/test_face.cpp and for invariance to in-plane rotation below.


def test_pose_signs_on_mirrored_copies(faces, pipeline):
    checked = 0
    for image, face in faces:
        if abs(face.pose.yaw) < 6:
            continue
        mirrored = np.ascontiguousarray(image[:, ::-1])
        m = pipeline.faces(mirrored)[0]
        assert np.sign(m.pose.yaw) == -np.sign(face.pose.yaw)
        assert abs(m.pose.yaw + face.pose.yaw) < 8
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("angle", [-12.0, 12.0])
def test_pose_roll_follows_image_rotation(faces, pipeline, angle):
    for image, face in faces[:6]:
        h, w = image.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)  # positive = counter-clockwise
        rotated = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)
        r = pipeline.faces(rotated)[0]
        assert r.pose.roll == pytest.approx(face.pose.roll - angle, abs=3.0)
        assert r.pose.yaw == pytest.approx(face.pose.yaw, abs=5.0)
        assert r.pose.pitch == pytest.approx(face.pose.pitch, abs=5.0)


def test_frontal_filter_is_the_paper_rule():
    assert fn.is_frontal(fn.HeadPose(14.9, -14.9, 40))
    assert not fn.is_frontal(fn.HeadPose(15.1, 0, 0))
    assert not fn.is_frontal(fn.HeadPose(0, -15.0, 0))


def test_alignment_eye_distance_and_level(faces):
    for image, face in faces[:10]:
        a = fn.align_face(image, face.landmarks)
        assert a.image.shape == (1024, 1024, 3) and a.image.dtype == np.uint8
        r, l = eye_centres(a.landmarks)
        assert np.linalg.norm(l - r) == pytest.approx(100.0, abs=1.0)
        assert abs(np.degrees(np.arctan2(l[1] - r[1], l[0] - r[0]))) < 0.5
        # The matrix maps the original landmarks onto the aligned ones.
        mapped = face.landmarks @ a.matrix[:, :2].T + a.matrix[:, 2]
        np.testing.assert_allclose(mapped, a.landmarks, atol=1e-3)


def test_alignment_fills_border_without_black(faces):
    image, face = faces[0]
    # A tight crop around the face forces the 1024 crop far past the photo's border.
    x0, y0, x1, y1 = [int(v) for v in face.box.to_list()]
    tight = np.ascontiguousarray(image[max(0, y0 - 10):y1 + 10, max(0, x0 - 10):x1 + 10])
    lm = face.landmarks - np.float32([max(0, x0 - 10), max(0, y0 - 10)])
    a = fn.align_face(tight, lm, eye_distance=200.0)
    dark = (a.image.max(axis=2) < 8).mean()
    assert dark < 0.01, "padding must be mirrored image content, not black"
    # Far from the face the fill is blurred: much less high-frequency energy than the face.
    lap = np.abs(cv2.Laplacian(cv2.cvtColor(a.image, cv2.COLOR_RGB2GRAY), cv2.CV_32F))
    assert lap[:100, :100].mean() < 0.5 * lap[400:700, 400:700].mean()


@pytest.mark.parametrize("region", fn.REGIONS)
def test_crops_contain_the_landmarks_they_claim(faces, region):
    members = {"lip": range(48, 68), "mouth": range(48, 68), "mouth_nose": range(27, 68),
               "face_no_eyes": list(range(0, 27))}[region]
    for image, face in faces[:8]:
        crop = fn.crop_region(image, face.landmarks, region, 224)
        assert crop.image.shape == (224, 224, 3)
        pts = face.landmarks[list(members)] @ crop.matrix[:, :2].T + crop.matrix[:, 2]
        assert (pts >= 0).all() and (pts < 224).all()


def test_lip_crop_pixels_match_slow_reference(faces):
    """Enlarging crops equal bilinear sampling through the inverse of their matrix."""
    image, face = faces[1]
    crop = fn.crop_region(image, face.landmarks, "lip", 224, margin=0.15)
    assert crop.matrix[0, 0] > 1.0  # this face's lips are under 224 px: the enlarging path
    inv = cv2.invertAffineTransform(crop.matrix)
    ys, xs = np.mgrid[40:180:7, 40:180:7]
    src = np.stack([xs, ys, np.ones_like(xs)], -1) @ inv.T
    ref = np.stack([cv2.getRectSubPix(image.astype(np.float32), (1, 1), (float(x), float(y)))[0, 0]
                    for x, y in src.reshape(-1, 2)])
    got = crop.image[ys, xs].reshape(-1, 3).astype(np.float32)
    assert np.abs(got - ref).max() < 1.0  # uint8 rounding only


def test_shrinking_crop_matches_the_same_crop_at_lower_resolution(faces):
    """The area-averaging path: a crop from a 4x larger copy equals the crop from the original."""
    image, face = faces[1]
    big = np.ascontiguousarray(cv2.resize(image, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC))
    big_landmarks = (face.landmarks + 0.5) * 4 - 0.5  # pixel centres scale about -0.5
    small = fn.crop_region(image, face.landmarks, "lip", 224)
    shrunk = fn.crop_region(big, big_landmarks, "lip", 224)
    assert shrunk.matrix[0, 0] < 1.0
    assert np.abs(small.image.astype(float) - shrunk.image.astype(float)).mean() < 3.0


@pytest.mark.parametrize("region", fn.REGIONS)
def test_region_masks_hold_their_landmarks(faces, region):
    image, face = faces[2]
    lm = face.landmarks
    mask = fn.region_mask(lm, image.shape[:2], region)
    assert mask.dtype == np.float32 and mask.shape == image.shape[:2]
    def at(i):
        return mask[int(round(lm[i, 1])), int(round(lm[i, 0]))]
    if region == "lip":
        centre = lm[[51, 57]].mean(0)
        assert mask[int(centre[1]), int(centre[0])] == 1.0
        assert at(30) == 0.0  # nose tip outside
    if region == "mouth_nose":
        assert at(30) == 1.0 and at(33) == 1.0 and at(51) == 1.0
    if region == "face_no_eyes":
        assert at(30) == 1.0
        r = lm[36:42].mean(0)
        assert mask[int(r[1]), int(r[0])] == 0.0  # the eyes are cut out
    soft = fn.region_mask(lm, image.shape[:2], region, soft_sigma=4.0)
    assert 0.0 <= soft.min() and soft.max() <= 1.0
    def edge(m):
        return ((m > 0.01) & (m < 0.99)).sum()
    assert edge(soft) > 3 * edge(mask)  # a soft edge is wider than the anti-aliased one
    assert np.abs(soft.sum() - mask.sum()) / mask.sum() < 0.05  # blurring keeps the area


def test_astronaut_is_found_and_roughly_frontal(astronaut_path, pipeline):
    image = fn.read_image(astronaut_path)
    face = pipeline.faces(image)[0]
    assert 150 < face.box.x0 < 230 and 60 < face.box.y0 < 120
    assert abs(face.pose.yaw) < 25 and abs(face.pose.pitch) < 25


def test_landmarks_are_sub_pixel_and_agree_with_plain_dlib(faces):
    """Predicting on an enlarged face region gives fractional positions close to dlib's own."""
    fractional = np.mean([(np.abs(f.landmarks - np.round(f.landmarks)) > 0.05).mean() for _, f in faces[:5]])
    assert fractional > 0.5


def test_concurrent_calls_give_the_serial_results(celeba_images, pipeline):
    """The kernels release the GIL and detectors come from a pool: threads must not interfere."""
    from concurrent.futures import ThreadPoolExecutor

    images = [fn.read_image(p) for p in celeba_images[:12]]

    def run(image):
        try:
            face = pipeline.faces(image)[0]
        except fn.NoFaceError:
            return None
        return face.landmarks, fn.align_face(image, face.landmarks, size=256).image

    serial = [run(im) for im in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(run, images * 2))
    for s, p in zip(serial * 2, parallel):
        assert (s is None) == (p is None)
        if s is not None:
            np.testing.assert_array_equal(s[0], p[0])
            np.testing.assert_array_equal(s[1], p[1])
