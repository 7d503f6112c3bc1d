"""train-normalizer and the learned normalizer on real faces, tiny settings: losses recorded,
a killed run resumes to the same weights, other settings are refused, the model folder is
verified, and the normalizer (with and without restoration) pastes only the face back."""
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import facenorm as fn  # noqa: E402
from facenorm.normalize import get_normalizer  # noqa: E402
from facenorm.normalize import learned_training  # noqa: E402
from facenorm.normalize.learned_training import TrainingSettings, train_learned_normalizer  # noqa: E402

TINY = dict(size=128, channels=4, bottleneck=8, restoration_channels=4, epochs_autoencoder=2, epochs_restoration=1,
            batch_size=4, limit=10, patch=32, patches_per_face=2)


@pytest.fixture(scope="module")
def faces_dir(shared_data):
    return str(shared_data / "celebamask" / "train" / "images")


@pytest.fixture(scope="module")
def tiny_model(faces_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("learned") / "model"
    summary = train_learned_normalizer([faces_dir], out, TrainingSettings(**TINY), progress=False)
    return out, summary


def test_training_writes_a_verified_model(tiny_model):
    out, summary = tiny_model
    assert summary["faces"] == 10 and summary["dev_faces"] == 1
    state = json.loads((out / "training.json").read_text())
    assert state["stage"] == "done"
    assert len(state["losses"]["autoencoder"]) == 2 and len(state["losses"]["restoration_dev"]) == 1
    model = json.loads((out / "model.json").read_text())
    assert model["format"] == "facenorm-learned-normalizer" and set(model["sha256"]) == {"autoencoder.pt",
                                                                                          "restoration.pt"}
    assert not [p for p in os.listdir(out) if ".tmp" in p]


def test_a_killed_run_resumes_to_the_same_weights(faces_dir, tiny_model, tmp_path, monkeypatch):
    reference, _ = tiny_model
    out = tmp_path / "model"
    real_save = learned_training.Checkpoints.save
    calls = []

    def dying_save(self, writers):
        real_save(self, writers)
        calls.append(1)
        if len(calls) == 1:  # killed right after the first epoch's checkpoint
            raise KeyboardInterrupt

    monkeypatch.setattr(learned_training.Checkpoints, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        train_learned_normalizer([faces_dir], out, TrainingSettings(**TINY), progress=False)
    assert json.loads((out / "training.json").read_text())["epoch"] == 1
    monkeypatch.setattr(learned_training.Checkpoints, "save", real_save)
    train_learned_normalizer([faces_dir], out, TrainingSettings(**TINY), progress=False)
    a = json.loads((reference / "training.json").read_text())["losses"]
    b = json.loads((out / "training.json").read_text())["losses"]
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-4, err_msg=key)
    with pytest.raises(fn.DatasetError, match="other settings"):
        train_learned_normalizer([faces_dir], out, TrainingSettings(**{**TINY, "bottleneck": 16}), progress=False)


def test_learned_normalizer_end_to_end(tiny_model, celeba_images, pipeline, tmp_path):
    out, _ = tiny_model
    image = fn.read_image(celeba_images[0])
    landmarks = pipeline.faces(image)[0].landmarks
    full = get_normalizer(f"learned:model={out}")
    ablation = get_normalizer(f"learned:model={out},restoration=off")
    a, b = full.normalize(image, landmarks), ablation.normalize(image, landmarks)
    assert a.image.shape == image.shape and a.info["restoration"] == "on" and b.info["restoration"] == "off"
    assert not np.array_equal(a.image, b.image)
    np.testing.assert_array_equal(full.normalize(image, landmarks).image, a.image)  # deterministic
    corner = np.zeros(image.shape[:2], bool)
    corner[:20, :20] = True
    assert np.array_equal(a.image[corner], image[corner])  # only the face is pasted back
    assert repr(ablation) == f"learned:model={out},restoration=off"
    # a replaced weight file is caught by model.json's checksum
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("model.json", "autoencoder.pt", "restoration.pt"):
        (broken / name).write_bytes((out / name).read_bytes())
    (broken / "restoration.pt").write_bytes(b"junk")
    with pytest.raises(fn.ModelError, match="checksum"):
        get_normalizer(f"learned:model={broken}")
    with pytest.raises(fn.MissingFileError, match="train-normalizer"):
        get_normalizer(f"learned:model={tmp_path / 'absent'}")
    with pytest.raises(fn.InputError, match="restoration"):
        get_normalizer(f"learned:model={out},restoration=maybe")
