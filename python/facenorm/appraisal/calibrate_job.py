"""`facenorm calibrate-appraisal`: the map-inpaint threshold and the normality percentiles,
fitted on the calibration half of the held-out normal faces (normal_faces.held_out_half)."""
import sys

import numpy as np

from .. import _core
from ..geometry import REGIONS
from .alignment import align
from .anomaly_map import face_mask, region_masks, upsample_cells
from .appraise import Appraiser
from .calibration import AppraisalCalibration, fit_calibration, save_calibration
from .map_inpaint import INPAINT_REGION, inpaint_area, two_phase
from .normal_faces import found_faces, normal_face_files

__all__ = ["THRESHOLD_PERCENTILE", "calibrate_appraisal"]

THRESHOLD_PERCENTILE = 90.0   # 90% of held-out normal faces have no map value above it where holes may be


def calibrate_appraisal(data_root, model=None, per_group: int = 100, progress: bool = True,
                        fill: str = "network", inpainter=None,
                        threshold_percentile: float = THRESHOLD_PERCENTILE) -> dict:
    """fill: map-inpaint's fill (telea, ns or network; the appraisal then uses it); inpainter: the
    network's folder for fill=network (default: the shipped one)."""
    from tqdm import tqdm

    appraiser = Appraiser(model=model, calibration=AppraisalCalibration({"regions": {}, "fill": fill}),
                          inpainter=inpainter)
    model = appraiser.model
    if model.folder is None:
        raise _core.InputError("calibrate-appraisal: the model must be a saved folder (the calibration lives in it)")
    files = normal_face_files(data_root, "calibration", per_group=per_group)
    found, skipped = found_faces(files, "held-out normal faces", progress)
    faces = [(align(image, landmarks), group) for _, group, image, landmarks in found]
    if len(faces) < 50:
        raise _core.DatasetError(f"{data_root}: only {len(faces)} held-out normal faces found; at least 50 are needed")
    cells, maxima = [], []
    for aligned, _ in tqdm(faces, desc="maps", unit="face", file=sys.stderr, disable=not progress):
        face = face_mask(aligned.landmarks)
        c = model.cells(aligned.image, face)
        cells.append(c)
        area = inpaint_area(aligned.landmarks, INPAINT_REGION)
        maxima.append(float(np.max(upsample_cells(c) * area)))
    if not 0.0 < threshold_percentile < 100.0:
        raise _core.InputError(f"threshold percentile: expected between 0 and 100, got {threshold_percentile}")
    threshold = float(np.percentile(maxima, threshold_percentile))
    evidences = {r: [] for r in REGIONS}
    for (aligned, _), c in tqdm(list(zip(faces, cells)), desc="inpainting", unit="face", file=sys.stderr,
                                disable=not progress):
        passes = two_phase(aligned.image, aligned.landmarks, model, threshold, 2, fill, first_cells=c,
                           inpainter=appraiser.normalizer.inpainter)
        regions, heat = region_masks(aligned.landmarks), None
        for region in REGIONS:   # one feature distance per face, read in every region
            evidence = appraiser.evidence(aligned, passes, region, regions, heat)
            heat = evidence.feature_map
            evidences[region].append(evidence)
    groups = [g for _, g in faces]
    info = {"faces": len(faces), "skipped": skipped, "per_group": per_group,
            "threshold_percentile": threshold_percentile, "inpaint_region": INPAINT_REGION,
            "age_groups": {g: groups.count(g) for g in sorted({g for g in groups if g})},
            "celeba": groups.count(None), "split": "held-out calibration half (docs/appraisal.md)"}
    doc = fit_calibration(evidences, groups, threshold, info, fill)
    path = save_calibration(model.folder, doc)
    return {"calibration": path, "inpaint_threshold": round(threshold, 4), "fill": fill, **info}
