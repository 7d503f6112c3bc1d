"""FacePipeline.analyze takes any PathLike and records errors; bad usage of a command exits 2
with the --json error document."""
import json
import pathlib

from cli_runner import facenorm


def test_analyze_takes_a_pathlib_path_and_records_errors(pipeline, astronaut_path, tmp_path):
    ok = pipeline.analyze(pathlib.Path(astronaut_path))
    assert ok.error is None and len(ok.faces) == 1 and ok.path == astronaut_path
    missing = pipeline.analyze(tmp_path / "missing.jpg")
    assert missing.error_type == "MissingFileError" and missing.path == str(tmp_path / "missing.jpg")


def test_contradicting_score_arguments_exit_2_with_json(astronaut_path):
    proc = facenorm("score", astronaut_path, "--reference", astronaut_path, "--normalizer", "symmetry", "--json",
                    check=False)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error_type"] == "UsageError"


def test_normality_is_the_same_in_the_cli_and_the_api(pipeline, astronaut_path):
    import facenorm as fn

    proc = facenorm("score", astronaut_path, "--normalizer", "symmetry", "--region", "mouth_nose", "--json")
    cli = json.loads(proc.stdout)
    image = fn.read_image(astronaut_path)
    landmarks = pipeline.faces(image)[0].landmarks
    normalized = fn.normalize.get_normalizer("symmetry").normalize(image, landmarks).image
    api = fn.score.score_pair(image, normalized, landmarks, region="mouth_nose", normalizer="symmetry")
    assert cli["normality"] == api.normality  # no curve for symmetry: both None, with the reason
    if api.normality is None:
        assert cli["normality_note"] == api.normality_note and "calibrate-score" in api.normality_note
    assert abs(cli["score"] - api.score) < 1e-4
