"""`facenorm prepare`: photos -> HDF5, bad inputs recorded as skipped, side-car landmark import,
argument checks on resume, and a real SIGKILL-and-resume run."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import facenorm as fn
import facenorm.data as fd
from facenorm.cli.main import main as cli_main
from facenorm.data.prepare import prepare_dataset
from facenorm.data.prepare_face import PrepareOptions

ROOT = Path(__file__).resolve().parents[2]
SMALL = PrepareOptions(size=256)  # tests not about alignment quality stay fast


@pytest.fixture(scope="module")
def frontal_faces(celeba_images, pipeline):
    """CelebA photos with exactly one clear frontal face, so expected counts do not depend on
    which photos the pose filter happens to reject."""
    chosen = []
    for path in celeba_images:
        result = pipeline.analyze(path)
        if result.faces and result.faces[0].frontal and max(abs(result.faces[0].pose.yaw),
                                                             abs(result.faces[0].pose.pitch)) < 12:
            chosen.append(path)
        if len(chosen) == 12:
            break
    return chosen


def copy_into(folder: Path, paths) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    return [str(shutil.copy(p, folder / Path(p).name)) for p in paths]


def add_bad_inputs(folder: Path) -> dict:
    """A text file named .jpg, a zero-byte file and a faceless image: source -> expected reason."""
    (folder / "letter.jpg").write_text("this is not a photo\n")
    (folder / "empty.png").write_bytes(b"")
    fn.write_image(str(folder / "gray.png"), np.full((256, 256, 3), 128, np.uint8))
    (folder / "notes.txt").write_text("not an image, ignored inside folders\n")
    return {str(folder / "letter.jpg"): ("unreadable", "ImageDecodeError"),
            str(folder / "empty.png"): ("unreadable", "ImageDecodeError"),
            str(folder / "gray.png"): ("no_face", "NoFaceError")}


def run_cli(capsys, *argv) -> tuple:
    rc = cli_main(["prepare", *map(str, argv), "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"expected exactly one JSON document on stdout, got {out!r}"
    return rc, json.loads(out)


def test_prepare_folder_with_bad_files(tmp_path, capsys, frontal_faces, pipeline):
    good = copy_into(tmp_path / "photos", frontal_faces[:6])
    bad = add_bad_inputs(tmp_path / "photos")
    out = tmp_path / "prepared.h5"
    rc, summary = run_cli(capsys, tmp_path / "photos", "--out", out, "--size", 256, "--threads", 2)
    assert rc == 0
    assert summary["out"] == str(out) and summary["threads"] == 2 and summary["resumed_from"] == 0
    assert summary["written"] == 6 and summary["skipped"] == 3
    assert summary["skipped_by_reason"] == {"no_face": 1, "unreadable": 2}
    assert set(summary) == {"out", "written", "skipped", "skipped_by_reason", "resumed_from", "seconds", "threads"}
    with fd.Dataset.open(out) as ds:
        assert [r["source"] for r in ds.records] == sorted(good)  # input order, whatever the threads
        assert {s["source"]: (s["reason"], s["error_type"]) for s in ds.skipped} == bad
        assert ds.h5["images"].shape == (6, 256, 256, 3)
        assert ds.params["size"] == 256 and ds.params["inputs"] == [str(tmp_path / "photos")]
        # The stored record is exactly what the public kernels give for that photo.
        first = ds[0]
        image = fn.read_image(good[0])
        face = pipeline.faces(image)[0]
        aligned = fn.align_face(image, face.landmarks, size=256, eye_distance=100.0)
        np.testing.assert_array_equal(first.image, aligned.image)
        np.testing.assert_array_equal(first.landmarks, aligned.landmarks)
        np.testing.assert_array_equal(first.box, np.float32(face.box.to_list()))
        np.testing.assert_allclose(first.pose, [face.pose.yaw, face.pose.pitch, face.pose.roll], rtol=1e-6)
        np.testing.assert_allclose(first.record["params"]["align_matrix"], aligned.matrix)
        assert first.record["params"]["landmarks_from"] == "detector"


def test_list_file_input_and_duplicates(tmp_path, frontal_faces, pipeline):
    copy_into(tmp_path / "photos", frontal_faces[:2])
    listing = tmp_path / "chosen.txt"
    listing.write_text(f"# relative to this file\nphotos/{Path(frontal_faces[0]).name}\n"
                       f"{tmp_path / 'photos' / Path(frontal_faces[1]).name}\nphotos/missing.jpg\n")
    summary = prepare_dataset([listing, tmp_path / "photos"], tmp_path / "out.h5", SMALL, progress=False,
                              pipeline=pipeline)
    assert summary["written"] == 2 and summary["skipped_by_reason"] == {"unreadable": 1}
    with fd.Dataset.open(tmp_path / "out.h5") as ds:
        assert ds.skipped[0]["error_type"] == "MissingFileError"


def test_pose_filter_and_its_switch(tmp_path, frontal_faces, pipeline):
    copy_into(tmp_path / "photos", frontal_faces[:3])
    strict = PrepareOptions(size=64, eye_distance=20, max_yaw=0.001, max_pitch=0.001)
    summary = prepare_dataset([tmp_path / "photos"], tmp_path / "strict.h5", strict, progress=False,
                              pipeline=pipeline)
    assert summary["written"] == 0 and summary["skipped_by_reason"] == {"pose_out_of_range": 3}
    with fd.Dataset.open(tmp_path / "strict.h5") as ds:
        assert "expected |yaw| < 0.001" in ds.skipped[0]["message"]
    unfiltered = PrepareOptions(size=64, eye_distance=20, max_yaw=0.001, max_pitch=0.001, pose_filter=False)
    summary = prepare_dataset([tmp_path / "photos"], tmp_path / "all.h5", unfiltered, progress=False,
                              pipeline=pipeline)
    assert summary["written"] == 3
    with fd.Dataset.open(tmp_path / "all.h5") as ds:
        assert [r["params"]["frontal"] for r in ds.records] == [False] * 3


def test_crops_match_the_stored_face(tmp_path, frontal_faces, pipeline):
    copy_into(tmp_path / "photos", frontal_faces[:2])
    options = PrepareOptions(size=256, crops=("mouth_nose", "lip"))
    prepare_dataset([tmp_path / "photos"], tmp_path / "out.h5", options, progress=False, pipeline=pipeline)
    with fd.Dataset.open(tmp_path / "out.h5") as ds:
        assert ds.crop_regions == ["lip", "mouth_nose"] and ds.params["crops"] == ["lip", "mouth_nose"]
        assert ds.h5["crops/lip"].shape == (2, 224, 224, 3)
        for sample in ds:
            for region in ("lip", "mouth_nose"):
                expected = fn.crop_region(sample.image, sample.landmarks, region, size=224)
                np.testing.assert_array_equal(sample.crops[region], expected.image)


def test_sidecar_landmarks_are_imported_exactly(tmp_path, frontal_faces, pipeline):
    pts_image, npy_image = copy_into(tmp_path / "photos", frontal_faces[:2])
    shift = np.array([2.5, -1.25], np.float32)  # so the detector's landmarks cannot pass for them
    pts_landmarks = pipeline.faces(fn.read_image(pts_image))[0].landmarks + shift
    npy_landmarks = (pipeline.faces(fn.read_image(npy_image))[0].landmarks - shift).astype(np.float64)
    Path(pts_image).with_suffix(".pts").write_text(
        "version: 1\nn_points:  68\n{\n" + "".join(f"{x + 1:.3f} {y + 1:.3f}\n" for x, y in pts_landmarks) + "}\n")
    np.save(Path(npy_image).with_suffix(".npy"), npy_landmarks)
    prepare_dataset([tmp_path / "photos"], tmp_path / "out.h5", SMALL, progress=False, pipeline=pipeline)
    with fd.Dataset.open(tmp_path / "out.h5") as ds:
        assert [r["params"]["landmarks_from"] for r in ds.records] == ["pts", "npy"]
        for sample, source, original in ((ds[0], pts_image, pts_landmarks), (ds[1], npy_image, npy_landmarks)):
            imported = fd.read_landmark_file(sample.record["params"]["landmark_file"])
            np.testing.assert_allclose(imported, original, atol=1e-3)  # .pts keeps 3 decimals
            aligned = fn.align_face(fn.read_image(source), imported, size=256, eye_distance=100.0)
            np.testing.assert_array_equal(sample.landmarks, aligned.landmarks)
            np.testing.assert_array_equal(sample.image, aligned.image)
            matrix = np.array(sample.record["params"]["align_matrix"])
            np.testing.assert_allclose(sample.landmarks, imported @ matrix[:, :2].T + matrix[:, 2], atol=1e-3)
            np.testing.assert_array_equal(sample.box, np.concatenate([imported.min(0), imported.max(0)]))


def test_bad_sidecar_is_skipped_with_its_reason(tmp_path, frontal_faces, pipeline):
    (image,) = copy_into(tmp_path / "photos", frontal_faces[:1])
    np.save(Path(image).with_suffix(".npy"), np.zeros((5, 2)))
    summary = prepare_dataset([tmp_path / "photos"], tmp_path / "out.h5", SMALL, progress=False, pipeline=pipeline)
    assert summary["skipped_by_reason"] == {"bad_landmarks": 1}


def test_resume_with_other_arguments_is_refused(tmp_path, capsys, frontal_faces, pipeline):
    copy_into(tmp_path / "photos", frontal_faces[:2])
    out = tmp_path / "out.h5"
    prepare_dataset([tmp_path / "photos"], out, SMALL, threads=1, progress=False, pipeline=pipeline)
    with pytest.raises(fn.DatasetError, match=r"size: file has 256, this run has 128.*same arguments"):
        prepare_dataset([tmp_path / "photos"], out, PrepareOptions(size=128), progress=False, pipeline=pipeline)
    rc, document = run_cli(capsys, tmp_path / "photos", "--out", out, "--size", 256, "--split", "test")
    assert rc == 1 and document["error_type"] == "DatasetError" and "split" in document["error"]
    # The thread count is not an argument of the data: changing it resumes (here: nothing left to do).
    summary = prepare_dataset([tmp_path / "photos"], out, SMALL, threads=2, progress=False, pipeline=pipeline)
    assert summary["written"] == 0 and summary["skipped"] == 0 and summary["resumed_from"] == 2
    with fd.Dataset.open(out) as ds:
        assert len(ds) == 2


def test_no_images_is_an_input_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(fn.InputError, match="no images found"):
        prepare_dataset([tmp_path / "empty"], tmp_path / "out.h5", SMALL, progress=False)
    assert not (tmp_path / "out.h5").exists()


def committed_records(path) -> int:
    """Records committed so far, read while another process writes the file (hence no lock)."""
    try:
        with h5py.File(path, "r", locking=False) as f:
            return int(f["records"].shape[0])
    except Exception:  # not created yet, or caught mid-write: just look again
        return 0


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path, celeba_images, pipeline):
    photos = tmp_path / "photos"
    copy_into(photos, celeba_images[:30])
    fn.write_image(str(photos / "5_gray.png"), np.full((128, 128, 3), 90, np.uint8))  # one skipped input
    inputs = fd.collect_image_paths([photos])
    options = PrepareOptions(size=512)
    clean = tmp_path / "clean.h5"
    prepare_dataset([photos], clean, options, threads=1, progress=False, pipeline=pipeline)

    out = tmp_path / "killed.h5"
    command = [sys.executable, "-m", "facenorm", "prepare", str(photos), "--out", str(out), "--size", "512",
               "--threads", "1", "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    job = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while job.poll() is None and committed_records(out) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.poll() is None, "the job finished before it could be killed; give it more images"
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL
    with fd.Dataset.open(out) as ds:
        done_before = len(ds) + len(ds.skipped)
    assert 0 < done_before < len(inputs)

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    summary = json.loads(finished.stdout)
    assert summary["resumed_from"] == done_before
    assert summary["resumed_from"] + summary["written"] + summary["skipped"] == len(inputs)

    with fd.Dataset.open(out) as resumed, fd.Dataset.open(clean) as reference:
        sources = [r["source"] for r in resumed.records] + [s["source"] for s in resumed.skipped]
        assert sorted(sources) == sorted(inputs)  # every input exactly once
        assert len(resumed) == len(reference)
        assert [r["source"] for r in resumed.records] == [r["source"] for r in reference.records]
        assert [r["id"] for r in resumed.records] == list(range(len(resumed)))
        assert resumed.skipped == reference.skipped
        np.testing.assert_array_equal(resumed.landmarks, reference.landmarks)
        for i in range(len(reference)):
            np.testing.assert_array_equal(resumed.image(i), reference.image(i))
    with h5py.File(out, "r") as f:  # and no half-written tail survives either
        assert {f[n].shape[0] for n in ("images", "landmarks", "boxes", "pose", "records")} == {len(reference)}


def test_prepare_with_the_refined_landmarker(tmp_path, capsys, frontal_faces):
    copy_into(tmp_path / "photos", frontal_faces[:2])
    out = tmp_path / "out.h5"
    rc, document = run_cli(capsys, tmp_path / "photos", "--out", out, "--size", 256, "--landmark-model", "refined")
    assert rc == 0 and document["written"] == 2
    with h5py.File(out, "r") as f:
        params = json.loads(f.attrs["params"])
    assert params["landmark_model"] == "refined"
    # another landmarker is another dataset: resuming with dlib's is refused
    rc, document = run_cli(capsys, tmp_path / "photos", "--out", out, "--size", 256)
    assert rc == 1 and "landmark_model" in document["error"]
    assert "landmark_model" not in PrepareOptions().to_params()  # dlib files of earlier releases still resume
