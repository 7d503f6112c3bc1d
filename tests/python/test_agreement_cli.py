"""facenorm agreement: Table 1 over rated pairs of real faces and synthetic cleft-like lips."""
import json
import subprocess
import sys

import pytest

import facenorm as fn
from facenorm.lipsynth import default_lip_templates

SEVERITIES = (0.15, 0.3, 0.45, 0.6, 0.8, 1.0)


@pytest.fixture(scope="module")
def rated_pairs(tmp_path_factory, celeba_images, pipeline):
    """Rated photos = LT-v2 copies of different severities; normalized = the untouched faces;
    two raters per photo on the paper's 1 (most abnormal) to 7 (almost normal) scale."""
    root = tmp_path_factory.mktemp("agreement")
    (root / "rated").mkdir()
    (root / "normalized").mkdir()
    template = default_lip_templates()[sorted(default_lip_templates())[0]]
    rows = ["image,rating"]
    for k, (path, severity) in enumerate(zip(celeba_images[:6], SEVERITIES)):
        image = fn.read_image(path)
        copy = fn.lip_transform_v2(image, pipeline.faces(image)[0].landmarks, template, severity)
        fn.write_image(str(root / "rated" / f"face{k}.png"), copy.image)
        fn.write_image(str(root / "normalized" / f"face{k}.png"), image)
        rating = 7 - 6 * severity
        rows += [f"face{k}.png,{rating + 0.25:.2f}", f"face{k},{rating - 0.25:.2f}"]
    (root / "ratings.csv").write_text("\n".join(rows) + "\n")
    return root


def _agreement(root, *extra):
    return subprocess.run([sys.executable, "-m", "facenorm", "agreement", str(root / "rated"), "--normalized",
                           str(root / "normalized"), "--ratings", str(root / "ratings.csv"), *extra],
                          capture_output=True, text=True, env={"PYTHONPATH": fn.__file__.rsplit("/facenorm/", 1)[0],
                                                                "PATH": "/usr/bin:/bin"})


def test_table_one_layout_and_agreement(rated_pairs, tmp_path):
    run = _agreement(rated_pairs, "--methods", "pse,ssim", "--csv", str(tmp_path / "t.csv"), "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert "Mouth only" in doc["table"] and "+Both" in doc["table"] and "PSE" in doc["table"]
    cells = {(c["method"], c["region"], c["variant"]): c for c in doc["cells"]}
    assert len(cells) == 2 * 2 * 4 and all(c["n"] == len(SEVERITIES) for c in cells.values())
    # S (larger = more normal) follows the rating (7 = almost normal): strongly positive r
    assert cells[("pse", "mouth_nose", "both")]["r"] > 0.5  # 0.66 measured; faces differ in lip contrast
    assert (tmp_path / "t.csv").read_text().count("\n") == 1 + len(cells)


def test_missing_normalized_image_is_named(rated_pairs, tmp_path):
    (rated_pairs / "rated" / "extra.png").write_bytes((rated_pairs / "rated" / "face0.png").read_bytes())
    try:
        run = _agreement(rated_pairs, "--methods", "pse", "--json")
    finally:
        (rated_pairs / "rated" / "extra.png").unlink()
    assert run.returncode == 1 and "no normalized image named extra" in json.loads(run.stdout)["error"]
