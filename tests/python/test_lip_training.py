"""Training, evaluating and using a lip classifier end to end on real faces (a small pairs file):
the loss falls, a seed reproduces a run, a killed run resumes, the model folder classifies
photos, and bad inputs get clear errors."""
import json
import os
import shutil

import numpy as np
import pytest

from facenorm import InputError, MissingFileError, ModelError
from facenorm.cli.main import main as cli_main
from facenorm.lipdetect.evaluation import evaluate_lip_model
from facenorm.lipdetect.model import LipModel
from facenorm.lipdetect.network import NetworkSettings
from facenorm.lipdetect.training import LipTrainSettings, train_lip_classifier

pytest.importorskip("torch")


def tiny_settings(seed=0, epochs=4, **network):
    """The simple CNN on 64-pixel crops: seconds per epoch, and every layer trains."""
    net = {"backbone": "simple_cnn", "input_side": 64, **network}
    return LipTrainSettings(network=NetworkSettings(**net), lr=1e-3, batch_size=8, max_epochs=epochs, patience=50,
                            seed=seed)


@pytest.fixture(scope="module")
def trained(lip_pairs_small, tmp_path_factory):
    out = tmp_path_factory.mktemp("lip_model")
    summary = train_lip_classifier(lip_pairs_small, out, tiny_settings(), progress=False)
    return {"out": str(out), "summary": summary}


def history(folder):
    with open(os.path.join(folder, "training.json")) as f:
        return json.load(f)["history"]


def test_training_lowers_the_loss_and_writes_a_model(trained):
    h = history(trained["out"])
    assert len(h) == 4 and trained["summary"]["epochs"] == 4
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    spec = json.load(open(os.path.join(trained["out"], "model.json")))
    assert spec["format"] == "facenorm-lip-classifier" and spec["face"]["normalizer"] == "statistical"
    assert spec["face"]["size"] == 512 and spec["weights_scope"] == "all"
    assert spec["best_epoch"] == min(range(4), key=lambda i: h[i]["dev_loss"]) + 1


def test_a_seed_reproduces_a_run_and_another_seed_does_not(trained, lip_pairs_small, tmp_path):
    again = train_lip_classifier(lip_pairs_small, tmp_path / "again", tiny_settings(), progress=False)
    other = train_lip_classifier(lip_pairs_small, tmp_path / "other", tiny_settings(seed=1), progress=False)
    same, diff = history(again["out"]), history(other["out"])
    first = history(trained["out"])
    assert [e["train_loss"] for e in same] == [e["train_loss"] for e in first]
    assert [e["train_loss"] for e in diff] != [e["train_loss"] for e in first]


def test_a_killed_run_resumes_where_it_stopped(lip_pairs_small, tmp_path, trained):
    out = tmp_path / "resumed"
    train_lip_classifier(lip_pairs_small, out, tiny_settings(epochs=2), progress=False)
    # "More epochs" continues the same run: same losses as the uninterrupted four-epoch run.
    train_lip_classifier(lip_pairs_small, out, tiny_settings(epochs=4), progress=False)
    resumed, straight = history(out), history(trained["out"])
    assert len(resumed) == 4
    np.testing.assert_allclose([e["train_loss"] for e in resumed], [e["train_loss"] for e in straight], rtol=1e-5)
    with pytest.raises(Exception, match="other settings"):
        train_lip_classifier(lip_pairs_small, out, tiny_settings(epochs=4, hidden=64), progress=False)


def test_evaluation_covers_every_subset(trained, lip_pairs_small):
    result = evaluate_lip_model(trained["out"], lip_pairs_small, progress=False)
    subsets = result["subsets"]
    assert {"train", "dev", "test", "test_controls", "test_real_shapes"} <= set(subsets)
    for name, r in subsets.items():
        assert 0 <= r["accuracy"] <= 1 and r["loss"] > 0 and r["n"] > 0, name
    assert subsets["test_real_shapes"]["n"] == 3  # one measured cleft shape per test face
    with pytest.raises(InputError, match="not in"):
        evaluate_lip_model(trained["out"], lip_pairs_small, ["nope"], progress=False)


def test_cached_and_uncached_training_agree(lip_pairs_small, tmp_path):
    """resnet34 with its last block trainable: cached features must train like the full path."""
    from facenorm.models import resolve
    try:
        resolve("resnet34_1000_imagenet_classifier")
    except (MissingFileError, ModelError) as e:
        pytest.skip(str(e))
    settings = dict(backbone="resnet34", input_side=112, trainable_layers=4)
    cached = train_lip_classifier(lip_pairs_small, tmp_path / "cached",
                                  tiny_settings(epochs=2, **settings), progress=False)
    plain = LipTrainSettings(**{**tiny_settings(epochs=2, **settings).__dict__, "cache_features": False})
    uncached = train_lip_classifier(lip_pairs_small, tmp_path / "uncached", plain, progress=False)
    assert cached["cached_features"] and not uncached["cached_features"]
    a, b = history(cached["out"]), history(uncached["out"])
    np.testing.assert_allclose([e["train_loss"] for e in a], [e["train_loss"] for e in b], rtol=2e-2)
    np.testing.assert_allclose([e["dev_loss"] for e in a], [e["dev_loss"] for e in b], rtol=2e-2)


def test_classify_cli_on_photos(trained, celeba_images, tmp_path, capsys):
    bad = tmp_path / "not_an_image.jpg"
    bad.write_bytes(b"not a jpeg")
    code = cli_main(["classify", celeba_images[0], str(bad), "--model", trained["out"], "--out",
                     str(tmp_path / "pictures"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    good, broken = doc["images"]
    assert 0 <= good["p_abnormal"] <= 1 and good["label"] in ("normal", "abnormal") and good["error"] is None
    assert broken["p_abnormal"] is None and broken["error"] and broken["error_type"] == "ImageDecodeError"
    for kind in ("crop", "normalized", "cam"):
        assert os.path.getsize(good["pictures"][kind]) > 0


def test_classify_reports_a_photo_without_a_face(trained, celeba_images, tmp_path, capsys):
    """The JSON contract: one row per photo; a photo with no face gets the detector's error, the
    others their p(abnormal); classify's landmarks are the pipeline's."""
    import facenorm as fn
    from facenorm.lipdetect.classify import PhotoClassifier

    blank = tmp_path / "blank.png"
    fn.write_image(str(blank), np.full((300, 300, 3), 128, np.uint8))
    assert cli_main(["classify", str(blank), celeba_images[0], "--model", trained["out"], "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"images", "model", "normalizer", "policy"}
    faceless, good = doc["images"]
    assert set(faceless) == {"path", "p_abnormal", "label", "error", "error_type"}
    assert faceless["error_type"] == "NoFaceError" and "no face" in faceless["error"]
    assert faceless["p_abnormal"] is None and good["error"] is None
    classifier = PhotoClassifier(trained["out"])
    image = fn.read_image(celeba_images[0])
    np.testing.assert_array_equal(classifier.landmarks(image), classifier.pipeline.faces(image)[0].landmarks)


def test_model_folder_errors(trained, tmp_path):
    with pytest.raises(MissingFileError, match="facenorm train"):
        LipModel(tmp_path / "empty")
    broken = tmp_path / "broken"
    shutil.copytree(trained["out"], broken)
    with open(broken / "weights.pt", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(ModelError, match="checksum"):
        LipModel(broken)
    model = LipModel(trained["out"])
    crops = np.zeros((2, 224, 224, 3), np.uint8)
    with pytest.raises(InputError, match="normalized"):
        model.predict_crops(crops)
    with pytest.raises(InputError, match="uint8"):
        model.predict_crops(crops.astype(np.float32), crops.astype(np.float32))
    p = model.predict_crops(crops, crops)
    assert p.shape == (2,) and np.all((p >= 0) & (p <= 1))


def test_the_shipped_classifier_tells_held_out_copies_from_controls(repo_root, shared_data):
    """models/lip_classifier on CelebAMask-HQ *test* faces (never trained on): their LT-v2 copies
    get a higher p(abnormal) than the faces themselves, on average and for most faces."""
    import facenorm as fn
    from facenorm.lipdetect.classify import PhotoClassifier
    from facenorm.lipsynth import default_lip_templates

    model_dir = repo_root / "models" / "lip_classifier"
    faces = sorted((shared_data / "celebamask" / "test" / "images").glob("*.jpg"))[:12]
    if not (model_dir / "model.json").is_file() or len(faces) < 12:
        pytest.skip("models/lip_classifier or the CelebAMask-HQ test faces are missing")
    try:
        classifier = PhotoClassifier(model_dir)
    except (MissingFileError, ModelError) as e:  # dlib face ResNet not fetched (`facenorm fetch-models`)
        pytest.skip(str(e))
    templates = default_lip_templates()
    names = sorted(templates)
    controls, copies = [], []
    for i, path in enumerate(faces):
        image = fn.read_image(str(path))
        try:
            landmarks = classifier.pipeline.faces(image)[0].landmarks
        except fn.NoFaceError:  # one test photo defeats the HOG detector; prepare skips it too
            continue
        copy = fn.lip_transform_v2(image, landmarks, templates[names[i % len(names)]], 1.0)
        for target, img, points in ((controls, image, landmarks), (copies, copy.image, copy.landmarks_after)):
            original, normalized = classifier.crops(img, points)
            target.append(float(classifier.model.predict_crops(original[None], normalized[None])[0]))
    controls, copies = np.array(controls), np.array(copies)
    assert copies.mean() > controls.mean() + 0.15
    assert (copies > controls).mean() >= 0.7  # measured: 0.46 and 9 of 11 faces
