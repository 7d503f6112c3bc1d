"""HDF5 datasets: round trip through plain h5py, append/commit protocol, corrupt files, landmark
side-car files and input lists."""
import json
import os

import h5py
import numpy as np
import pytest

import facenorm as fn
import facenorm.data as fd
from facenorm.data.inputs import collect_image_paths

IMAGE_SHAPE = (48, 40)
CROP_SIZE = 16


def make_record(rng, i):
    return {
        "source": f"/photos/{i:03d}.jpg",
        "image": rng.integers(0, 256, IMAGE_SHAPE + (3,), dtype=np.uint8),
        "landmarks": rng.uniform(0, 40, (68, 2)).astype(np.float32),
        "box": np.array([i, 2 * i, 10 + i, 20 + i], dtype=np.float32),
        "pose": np.array([1.5 * i, -0.5, 0.25], dtype=np.float32),
        "crops": {"lip": rng.integers(0, 256, (CROP_SIZE, CROP_SIZE, 3), dtype=np.uint8)},
        "subject_id": f"s{i % 2}", "group": "normal", "age_group": "adult", "split": "train",
        "params": {"i": i, "note": "é"},
    }


def write_records(path, records, encoded=False):
    writer = fd.DatasetWriter.create(path, IMAGE_SHAPE, crop_regions=["lip"], crop_size=CROP_SIZE,
                                     params={"job": "test"}, stage="test")
    with writer:
        for r in records:
            image = fd.encode_chunk(r["image"]) if encoded else r["image"]
            writer.append(r["source"], image, r["landmarks"], r["box"], r["pose"], crops=r["crops"],
                          subject_id=r["subject_id"], group=r["group"], age_group=r["age_group"],
                          split=r["split"], params=r["params"])
        writer.append_skipped("/photos/bad.jpg", "no_face", "NoFaceError", "no face found")


@pytest.fixture
def records():
    rng = np.random.default_rng(7)
    return [make_record(rng, i) for i in range(4)]


@pytest.mark.parametrize("encoded", [False, True], ids=["arrays", "precompressed"])
def test_round_trip_through_plain_h5py(tmp_path, records, encoded):
    path = tmp_path / "set.h5"
    write_records(path, records, encoded=encoded)
    with h5py.File(path, "r") as f:
        assert f.attrs["schema_version"] == fd.SCHEMA_VERSION
        assert f.attrs["created_by"] == f"facenorm {fn.__version__}"
        assert json.loads(f.attrs["params"]) == {"job": "test"}
        assert f["images"].dtype == np.uint8 and f["images"].chunks == (1,) + IMAGE_SHAPE + (3,)
        assert f["images"].compression == "gzip"
        for name in ("images", "landmarks", "boxes", "pose", "records", "skipped", "crops/lip"):
            assert f[name].maxshape[0] is None, name
        np.testing.assert_array_equal(f["images"][:], np.stack([r["image"] for r in records]))
        np.testing.assert_array_equal(f["landmarks"][:], np.stack([r["landmarks"] for r in records]))
        np.testing.assert_array_equal(f["boxes"][:], np.stack([r["box"] for r in records]))
        np.testing.assert_array_equal(f["pose"][:], np.stack([r["pose"] for r in records]))
        np.testing.assert_array_equal(f["crops/lip"][:], np.stack([r["crops"]["lip"] for r in records]))
        assert f["landmarks"].dtype == np.float32 and f["pose"].dtype == np.float32
        rows = f["records"][:]
        assert list(rows["id"]) == list(range(len(records)))
        assert list(rows["parent_id"]) == [-1] * len(records)
        assert [s.decode() for s in rows["source"]] == [r["source"] for r in records]
        assert [s.decode() for s in rows["split"]] == ["train"] * len(records)
        assert [json.loads(p.decode()) for p in rows["params"]] == [r["params"] for r in records]
        skipped = f["skipped"][:]
        assert skipped["reason"][0].decode() == "no_face" and skipped["error_type"][0].decode() == "NoFaceError"


def test_reader_api(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records)
    with fd.Dataset.open(path) as ds:
        assert len(ds) == len(records) and ds.image_shape == IMAGE_SHAPE and ds.crop_regions == ["lip"]
        assert ds.params == {"job": "test"}
        assert ds.records[2]["subject_id"] == "s0" and ds.records[2]["params"] == records[2]["params"]
        assert ds.skipped == [{"source": "/photos/bad.jpg", "reason": "no_face", "error_type": "NoFaceError",
                               "message": "no face found"}]
        np.testing.assert_array_equal(ds.image(-1), records[-1]["image"])
        np.testing.assert_array_equal(ds.crop("lip", 1), records[1]["crops"]["lip"])
        for sample, r in zip(ds, records):
            assert sample.record["source"] == r["source"]
            np.testing.assert_array_equal(sample.landmarks, r["landmarks"])
        with pytest.raises(IndexError, match="out of range"):
            ds.image(len(records))
        with pytest.raises(KeyError, match="mouth"):
            ds.crop("mouth", 0)


def test_append_mode_continues_ids(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:2])
    with fd.DatasetWriter.open(path) as writer:
        r = records[2]
        assert writer.sources() == {records[0]["source"], records[1]["source"], "/photos/bad.jpg"}
        assert writer.append(r["source"], r["image"], r["landmarks"], r["box"], r["pose"], crops=r["crops"]) == 2
    with fd.Dataset.open(path) as ds:
        assert [rec["id"] for rec in ds.records] == [0, 1, 2]


def test_half_written_record_is_invisible_then_truncated(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:2])
    # What a kill between "arrays written" and "records row committed" leaves behind:
    with h5py.File(path, "a") as f:
        for name in ("images", "landmarks", "boxes", "crops/lip"):
            f[name].resize(3, axis=0)
        f["records"].resize(3, axis=0)  # grown but its row never written
        f["skipped"].resize(2, axis=0)
    with fd.Dataset.open(path) as ds:
        assert len(ds) == 2 and len(ds.landmarks) == 2 and len(ds.skipped) == 1
    with fd.DatasetWriter.open(path) as writer:
        assert len(writer) == 2
    with h5py.File(path, "r") as f:
        for name in ("images", "landmarks", "boxes", "pose", "records", "crops/lip"):
            assert f[name].shape[0] == 2, name
        assert f["skipped"].shape[0] == 1


def test_bad_append_leaves_file_untouched(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:1])
    r = records[1]
    with fd.DatasetWriter.open(path) as writer:
        with pytest.raises(fn.InputError, match=r"'landmarks' expected shape \(68, 2\)"):
            writer.append(r["source"], r["image"], r["landmarks"][:10], r["box"], r["pose"], crops=r["crops"])
        with pytest.raises(fn.InputError, match="expected crops for"):
            writer.append(r["source"], r["image"], r["landmarks"], r["box"], r["pose"])
        with pytest.raises(fn.InputError, match="'images' expected uint8"):
            writer.append(r["source"], r["image"].astype(np.float32), r["landmarks"], r["box"], r["pose"],
                          crops=r["crops"])
    with h5py.File(path, "r") as f:
        assert {f[n].shape[0] for n in ("images", "landmarks", "boxes", "pose", "records", "crops/lip")} == {1}


def test_create_refuses_existing_file(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:1])
    with pytest.raises(fn.DatasetError, match="already exists"):
        fd.DatasetWriter.create(path, IMAGE_SHAPE)


@pytest.mark.parametrize("opener", [fd.Dataset.open, fd.DatasetWriter.open], ids=["reader", "writer"])
def test_random_bytes_raise_dataset_error(tmp_path, opener):
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(fn.DatasetError, match=f"{path}.*not an HDF5 file"):
        opener(path)


@pytest.mark.parametrize("opener", [fd.Dataset.open, fd.DatasetWriter.open], ids=["reader", "writer"])
def test_truncated_file_raises_dataset_error(tmp_path, records, opener):
    path = tmp_path / "set.h5"
    write_records(path, records)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(fn.DatasetError, match=str(path)):
        opener(path)


def test_hdf5_without_schema_version_raises_dataset_error(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["images"] = np.zeros((1, 4, 4, 3), np.uint8)
    with pytest.raises(fn.DatasetError, match="schema_version.*expected a facenorm dataset"):
        fd.Dataset.open(path)


def test_newer_schema_version_raises_dataset_error(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:1])
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = fd.SCHEMA_VERSION + 1
    with pytest.raises(fn.DatasetError, match="newer"):
        fd.Dataset.open(path)


def test_missing_dataset_raises_dataset_error(tmp_path, records):
    path = tmp_path / "set.h5"
    write_records(path, records[:1])
    with h5py.File(path, "a") as f:
        del f["pose"]
    with pytest.raises(fn.DatasetError, match="'pose' is missing"):
        fd.Dataset.open(path)


def test_missing_file_raises_missing_file_error(tmp_path):
    with pytest.raises(fn.MissingFileError, match="no such dataset file"):
        fd.Dataset.open(tmp_path / "absent.h5")


# -- landmark side-car files ------------------------------------------------------------------

def write_pts(path, points_one_based, n_points=68):
    lines = ["version: 1", f"n_points:  {n_points}", "{"] + [f"{x:.4f} {y:.4f}" for x, y in points_one_based] + ["}"]
    path.write_text("\n".join(lines) + "\n")


def test_read_pts_is_one_based(tmp_path):
    points = np.arange(136, dtype=np.float64).reshape(68, 2) + 0.5
    write_pts(tmp_path / "a.pts", points)
    lm = fd.read_pts(tmp_path / "a.pts")
    assert lm.dtype == np.float32 and lm.shape == (68, 2)
    np.testing.assert_allclose(lm, points - 1.0)
    np.testing.assert_allclose(fd.read_pts(tmp_path / "a.pts", one_based=False), points)


@pytest.mark.parametrize("content,message", [
    ("version: 1\nn_points: 68\n1 2\n", "between '{' and '}'"),
    ("version: 1\nn_points: 68\n{\n1 2\n}\n", "n_points says 68 but 1 points follow"),
    ("version: 1\n{\n1 x\n}\n", "expected numbers"),
    ("version: 1\n{\n1 2\n3 4\n}\n", r"shape \(68, 2\), got shape \(2, 2\)"),
])
def test_bad_pts_raises_input_error(tmp_path, content, message):
    (tmp_path / "a.pts").write_text(content)
    with pytest.raises(fn.InputError, match=message):
        fd.read_pts(tmp_path / "a.pts")


def test_npy_landmarks(tmp_path):
    points = np.random.default_rng(0).uniform(0, 500, (68, 2))
    np.save(tmp_path / "a.npy", points)
    np.testing.assert_array_equal(fd.read_landmarks_npy(tmp_path / "a.npy"), points.astype(np.float32))
    np.save(tmp_path / "b.npy", points[:5])
    with pytest.raises(fn.InputError, match=r"got shape \(5, 2\)"):
        fd.read_landmarks_npy(tmp_path / "b.npy")
    (tmp_path / "c.npy").write_bytes(b"not numpy")
    with pytest.raises(fn.InputError, match="expected a NumPy .npy"):
        fd.read_landmarks_npy(tmp_path / "c.npy")


def test_sidecar_lookup_prefers_pts(tmp_path):
    image = tmp_path / "face.jpg"
    image.write_bytes(b"")
    assert fd.find_sidecar_landmarks(image) is None
    np.save(tmp_path / "face.npy", np.zeros((68, 2)))
    assert fd.find_sidecar_landmarks(image) == tmp_path / "face.npy"
    write_pts(tmp_path / "face.pts", np.ones((68, 2)))
    assert fd.find_sidecar_landmarks(image) == tmp_path / "face.pts"


# -- inputs ---------------------------------------------------------------------------------

def test_collect_image_paths(tmp_path):
    (tmp_path / "photos" / "sub").mkdir(parents=True)
    for name in ("b.jpg", "a.PNG", "sub/c.webp", "notes.txt", "face.pts"):
        (tmp_path / "photos" / name).write_bytes(b"x")
    (tmp_path / "list.txt").write_text("# chosen photos\nphotos/b.jpg\n\n%s\nphotos/missing.jpg\n"
                                       % (tmp_path / "photos" / "sub" / "c.webp"))
    paths = collect_image_paths([tmp_path / "photos", tmp_path / "list.txt"])
    folder = str(tmp_path / "photos")
    assert paths == [f"{folder}/a.PNG", f"{folder}/b.jpg", f"{folder}/sub/c.webp", f"{folder}/missing.jpg"]
    assert all(os.path.isabs(p) for p in paths)


def test_collect_image_paths_rejects_binary_list_and_missing_input(tmp_path):
    (tmp_path / "blob.dat").write_bytes(b"\x00\x01\x02")
    with pytest.raises(fn.InputError, match="text file listing image paths"):
        collect_image_paths([tmp_path / "blob.dat"])
    with pytest.raises(fn.MissingFileError, match="no such folder, image or list file"):
        collect_image_paths([tmp_path / "absent"])
