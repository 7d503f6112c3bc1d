"""facenorm.stats.ablation_table: the paper's Table 1 on synthetic faces with injected functions
(numpy heatmaps, eq. 6 score, box masks), so it does not depend on facenorm's scoring code."""
import csv
import math
from types import SimpleNamespace

import numpy as np
import pytest

import facenorm as fn
from facenorm.stats import MethodUnavailable, ablation_table, default_functions

SIZE = 64
MOUTH_BOX = (slice(34, 54), slice(18, 46))  # rows, cols of the perturbed mouth/nose area


def landmarks():
    """68 points: face outline spread over the image, nose (27-35) and mouth (48-67) in MOUTH_BOX."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(6, SIZE - 6, size=(68, 2))
    inner = list(range(27, 36)) + list(range(48, 68))
    pts[inner, 0] = rng.uniform(MOUTH_BOX[1].start, MOUTH_BOX[1].stop - 1, len(inner))
    pts[inner, 1] = rng.uniform(MOUTH_BOX[0].start, MOUTH_BOX[0].stop - 1, len(inner))
    return pts.astype(np.float32)


def make_pairs(ratings: dict, seed: int = 1):
    """Each face: the normalized image differs from the original by +-a in the mouth box, with
    a = 60 exp(-0.3 (rating - 1)): higher rating (more normal) = smaller difference, and the
    eq. 6 score -ln(a) + const is linear in the rating."""
    rng = np.random.default_rng(seed)
    sign = np.where((np.indices((SIZE, SIZE)).sum(axis=0) % 2) == 0, 1, -1)[..., None]
    pairs = []
    for image_id, rating in ratings.items():
        original = rng.integers(60, 191, size=(SIZE, SIZE, 3)).astype(np.int16)
        amplitude = round(60 * math.exp(-0.3 * (rating - 1)))
        normalized = original.copy()
        normalized[MOUTH_BOX] += (sign * amplitude)[MOUTH_BOX]
        pairs.append(SimpleNamespace(id=image_id, original=original.astype(np.uint8),
                                     normalized=normalized.astype(np.uint8), landmarks=landmarks()))
    return pairs


RATINGS = {f"face{i:02d}": 1.0 + 0.5 * i for i in range(13)}  # 13 faces, 1 .. 7 as in the paper


def to_colour(image, colour):
    x = image.astype(np.float64)
    if colour == "rgb":
        return x
    m = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255.0
    return x @ m.T  # eq. 3 without the offsets, which cancel in a difference


def erode(heat, size):
    pad = size // 2
    padded = np.pad(heat, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(0, 1))
    return windows.min(axis=(-2, -1))


class Heatmaps:
    """pse: squared error; ssim: stand-in absolute error; lpips: 'weights not fetched'."""

    def __init__(self):
        self.calls = []

    def __call__(self, original, normalized, method, colour, erosion):
        self.calls.append((method, colour, erosion))
        if method == "lpips":
            raise fn.ModelError("LPIPS weights not found: run `python -m facenorm fetch-models`")
        diff = to_colour(original, colour) - to_colour(normalized, colour)
        heat = diff ** 2 if method == "pse" else np.abs(diff)
        return erode(heat, erosion) if erosion else heat


def box_mask(points, shape_hw, region):
    """Bounding box of the nose + mouth landmarks, or of all 68 for the entire face."""
    chosen = points[list(range(27, 36)) + list(range(48, 68))] if region == "mouth_nose" else points
    (x0, y0), (x1, y1) = np.floor(chosen.min(axis=0)).astype(int), np.ceil(chosen.max(axis=0)).astype(int)
    mask = np.zeros(shape_hw, np.float32)
    mask[y0:y1 + 1, x0:x1 + 1] = 1.0
    return mask


def eq6_score(heat, mask):
    energy = np.sqrt(np.sum(heat * mask[..., None])) / np.sum(mask)
    return -math.log(max(energy, 1e-9))


def run(pairs=None, ratings=RATINGS, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("heatmap_fn", Heatmaps())
    return ablation_table(make_pairs(RATINGS) if pairs is None else pairs, ratings,
                          score_fn=eq6_score, mask_fn=box_mask, **kwargs)


def test_pse_agrees_with_monotone_ratings_in_every_cell():
    table = run()
    assert len(table.cells) == 3 * 2 * 4
    for region in ("mouth_nose", "face_no_eyes"):
        for variant in ("base", "ycbcr", "erosion", "both"):
            cell = table.cell("pse", region, variant)
            assert cell.available and cell.n == 13
            assert cell.r100 > 99.0, (region, variant, cell)
            assert cell.ci_low <= cell.r <= cell.ci_high and cell.p_value < 1e-6
    both = table.cell("pse", "mouth_nose", "both")
    assert (both.colour, both.erosion) == ("ycbcr", 3)
    assert table.scores[("pse", "mouth_nose", "both")].shape == (13,)
    assert table.ids == sorted(RATINGS) and table.ratings.tolist() == [RATINGS[i] for i in table.ids]


def test_sign_convention_reversed_ratings_give_negative_r():
    reversed_ratings = {k: 8.0 - v for k, v in RATINGS.items()}
    table = run(pairs=make_pairs(RATINGS), ratings=reversed_ratings)
    assert table.cell("pse", "mouth_nose", "base").r100 < -99.0


def test_unavailable_method_is_reported_not_raised():
    heatmaps = Heatmaps()
    table = run(heatmap_fn=heatmaps)
    for cell in (c for c in table.cells if c.method == "lpips"):
        assert not cell.available and math.isnan(cell.r)
        assert "ModelError" in cell.unavailable and "fetch-models" in cell.unavailable
    # lpips is tried once, then skipped; pse and ssim: once per face and variant, shared by both regions
    assert sum(1 for call in heatmaps.calls if call[0] == "lpips") == 1
    assert sum(1 for call in heatmaps.calls if call[0] == "pse") == 13 * 4


def test_method_unavailable_exception_from_a_custom_function():
    def heatmap_fn(original, normalized, method, colour, erosion):
        if method == "ssim" and colour == "ycbcr":
            raise MethodUnavailable("no SSIM in YCbCr here")
        return Heatmaps()(original, normalized, method, colour, erosion)

    table = run(heatmap_fn=heatmap_fn, methods=("pse", "ssim"))
    assert all(not c.available for c in table.cells if c.method == "ssim")
    assert "no SSIM in YCbCr here" in table.to_markdown()
    assert ("ssim", "mouth_nose", "base") not in table.scores  # partial scores of an n/a method are dropped


def test_markdown_has_the_paper_layout():
    text = run().to_markdown()
    lines = text.splitlines()
    assert lines[0].startswith("Pearson r x 100") and "n = 13 faces" in lines[0]
    assert lines[2] == "|  | Mouth only |  |  |  | Entire face |  |  |  |"
    assert lines[3] == "|" + "---|" * 9
    assert lines[4] == "|  | Base | +YCbCr | +Erosion | +Both | Base | +YCbCr | +Erosion | +Both |"
    rows = [line.split(" | ") for line in lines[5:8]]
    assert [r[0] for r in rows] == ["| LPIPS", "| PSE", "| SSIM"]
    assert lines[5] == "| LPIPS |" + " n/a |" * 8
    assert all(float(v.strip(" |")) > 99.0 for v in rows[1][1:])
    assert any(line.startswith("- n/a LPIPS: method unavailable: ModelError") for line in lines)


def test_markdown_with_intervals_and_custom_layout():
    table = run(methods=("pse",), regions=("mouth_nose",), variants=("base", "both"))
    text = table.to_markdown(ci=True, corner="With Adaptation")
    assert "| With Adaptation | Mouth only |  |" in text
    assert "|  | Base | +Both |" in text
    assert "95% CI" in text
    cell = table.cell("pse", "mouth_nose", "both")
    assert f"{cell.r100:.1f} [{100 * cell.ci_low:.1f}, {100 * cell.ci_high:.1f}]" in text


def test_csv_output(tmp_path):
    table = run()
    path = tmp_path / "table1.csv"
    table.to_csv(path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24
    assert rows[0].keys() >= {"method", "region", "variant", "r", "r_x100", "ci_low", "ci_high", "n",
                              "p_value", "unavailable"}
    pse = next(r for r in rows if (r["method"], r["region"], r["variant"]) == ("pse", "face_no_eyes", "both"))
    assert float(pse["r_x100"]) == pytest.approx(table.cell("pse", "face_no_eyes", "both").r100)
    assert pse["colour"] == "ycbcr" and pse["erosion"] == "3" and pse["unavailable"] == ""
    lpips = next(r for r in rows if r["method"] == "lpips")
    assert "ModelError" in lpips["unavailable"]
    assert not (tmp_path / "table1.csv.tmp").exists()


def test_unmatched_ids_are_reported_and_generators_work(tmp_path):
    pairs = make_pairs(RATINGS)
    extra = make_pairs({"stranger.jpg": 4.0}, seed=9)
    ratings = {f"{k}.jpg": v for k, v in RATINGS.items()}  # ids with extensions still match
    ratings["never_scored.png"] = 3.0
    table = run(pairs=(p for p in pairs + extra), ratings=ratings)
    assert table.unrated == ["stranger"]
    assert table.unscored == ["never_scored"]
    assert table.cell("pse", "mouth_nose", "base").n == 13
    text = table.to_markdown()
    assert "1 face(s) without a rating, not used: stranger" in text
    assert "1 rated image(s) without a face pair, not used: never_scored" in text


def test_ratings_from_a_csv_path(tmp_path):
    path = tmp_path / "survey.csv"
    lines = ["image,rater,rating"]
    for image_id, rating in RATINGS.items():
        lines += [f"{image_id}.jpg,a,{rating - 0.5}", f"{image_id}.jpg,b,{rating + 0.5}"]
    path.write_text("\n".join(lines) + "\n")
    table = run(ratings=str(path), methods=("pse",))
    assert table.cell("pse", "mouth_nose", "both").r100 > 99.0


def test_constant_scores_make_a_cell_na():
    table = ablation_table(make_pairs(RATINGS), RATINGS, heatmap_fn=Heatmaps(), score_fn=lambda heat, mask: 1.0,
                           mask_fn=box_mask, methods=("pse",), progress=False)
    cell = table.cell("pse", "mouth_nose", "base")
    assert not cell.available and "every machine score equals 1" in cell.unavailable
    assert "n/a PSE (Mouth only, Base): every machine score equals 1" in table.to_markdown()


def test_errors():
    with pytest.raises(fn.InputError, match="only 2 face pair"):
        run(pairs=make_pairs({"a": 1.0, "b": 2.0}), ratings={"a": 1.0, "b": 2.0})
    with pytest.raises(fn.InputError, match="all 13 mean ratings equal 4"):
        run(ratings={k: 4.0 for k in RATINGS})
    with pytest.raises(fn.InputError, match="appears twice"):
        run(pairs=make_pairs(RATINGS) + make_pairs({"face00.png": 1.0}))
    with pytest.raises(fn.InputError, match="variants: unknown"):
        run(variants=("base", "grey"))


def test_an_unexpected_error_names_the_face():
    def broken_mask(points, shape_hw, region):
        raise RuntimeError("mask kernel failed")

    with pytest.raises(RuntimeError, match="mask kernel failed") as info:
        ablation_table(make_pairs(RATINGS), RATINGS, heatmap_fn=Heatmaps(), score_fn=eq6_score,
                       mask_fn=broken_mask, progress=False)
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python >= 3.11
        assert "face00" in notes[0]


def test_progress_goes_to_stderr(capsys):
    pytest.importorskip("tqdm")
    run(progress=True, methods=("pse",))
    captured = capsys.readouterr()
    assert captured.out == "" and "Table 1" in captured.err


def test_default_functions_wire_facenorm():
    try:
        heatmap_fn, score_fn, mask_fn = default_functions()
    except (ImportError, AttributeError) as e:
        pytest.skip(f"facenorm's scoring functions are not available in this build: {e}")
    assert callable(heatmap_fn) and callable(score_fn) and callable(mask_fn)
    assert isinstance(getattr(heatmap_fn, "method_notes", {}), dict)
