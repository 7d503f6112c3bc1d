"""The command line: JSON contracts of DESIGN.md, exit codes, and the demo report."""
import json
from pathlib import Path

from cli_runner import facenorm


def test_landmarks_json_contract(celeba_images, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    proc = facenorm("landmarks", "--json", celeba_images[0], str(bad))
    doc = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert list(doc) == ["images"] and len(doc["images"]) == 2
    good, broken = doc["images"]
    assert set(good) == {"path", "width", "height", "error", "faces"}
    assert good["error"] is None and (good["width"], good["height"]) == (512, 512)
    face = good["faces"][0]
    assert set(face) == {"box", "landmarks", "pose"}
    assert len(face["box"]) == 4 and len(face["landmarks"]) == 68
    assert all(len(p) == 2 for p in face["landmarks"])
    assert set(face["pose"]) == {"yaw", "pitch", "roll"}
    assert broken["faces"] == [] and "not a JPEG" in broken["error"]


def test_landmarks_all_fail_exit_code(tmp_path):
    proc = facenorm("landmarks", "--json", str(tmp_path / "missing.jpg"), check=False)
    assert proc.returncode == 1
    assert "no such file" in json.loads(proc.stdout)["images"][0]["error"]


def test_usage_errors_exit_2():
    assert facenorm(check=False).returncode == 2
    assert facenorm("landmarks", "--detector", "yolo", "x.jpg", check=False).returncode == 2


def test_demo_writes_a_report(tmp_path, astronaut_path, celeba_images):
    one = tmp_path / "faces"
    one.mkdir()
    (one / "a.jpg").write_bytes(Path(celeba_images[0]).read_bytes())
    (one / "broken.jpg").write_bytes(b"")
    out = tmp_path / "report"
    doc = json.loads(facenorm("demo", "--json", "--out", str(out), str(one)).stdout)
    assert doc["report"] == str(out / "report.html")
    html = (out / "report.html").read_text()
    assert "astronaut.png" in html and "a.jpg" in html and "empty" in html
    assert [e["error"] is None for e in doc["images"]] == [True, True, False]
    assets = {p.name for p in (out / "assets").iterdir()}
    assert {"000_landmarks.png", "000_aligned.jpg", "000_crop_lip.png", "000_normalized_face.jpg",
            "000_normalized_copy.jpg"} <= assets
    assert doc["images"][0]["scores"]["statistical"][1]["score"] < doc["images"][0]["scores"]["statistical"][0]["score"]
    photo, cleft = doc["images"][0]["appraisal"]   # the default appraisal: a synthetic cleft rates below the photo
    assert cleft["score"] < photo["score"] and cleft["normality"] < photo["normality"]
    assert {"000_appraisal_photo.png", "000_appraisal_cleft.png"} <= assets
    for name in assets:  # every picture the page shows is a readable image
        assert (out / "assets" / name).stat().st_size > 500
    assert not list(out.glob("*.partial"))
