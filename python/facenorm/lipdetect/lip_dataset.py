"""`build_lip_dataset` (`facenorm lip-dataset`): folders of photos -> the pairs file of the ICMI
2024 lip-abnormality detector, running prepare, synth, normalize and pairs in order into one
work folder. Every job is resumable, so rerunning with the same arguments reuses the finished
files and completes a killed run where it stopped.

Work folder layout (one file per stage and input set):

    controls.h5, test.h5, cleft.h5                 prepare (test and cleft: split test)
    controls.<method>.h5, test.<method>.h5          synth with `method` (several: "lt-v1+lt-v2+cleft")
    utkface.txt, test_utkface.txt                   UTKFace's train/dev and held-out files (lists)
    utkface.h5, test_utkface.h5 (+ synth files)     prepare with age groups from the file names
    test.real_shapes.h5                             synth LT-v2 with the user's real cleft shapes
    normalized/<normalizer>/<same names>            normalize
    pairs.<method>.<normalizer>.h5                  build_pairs
"""
import hashlib
import os
import re
import time

from .._core import InputError, MissingFileError
from ..data.prepare import prepare_dataset
from ..data.prepare_cluster import prepare_dataset_on_cluster
from ..data.prepare_face import PrepareOptions
from ..files import atomic_write_text
from ..lipsynth.method_mix import checked_severity_range, method_list
from ..lipsynth.synth_job import run_synth
from ..normalize.base import Normalizer
from ..normalize.batch_job import run_normalize
from ..normalize.registry import get_normalizer
from .lip_pairs_build import PairSource, build_pairs
from .utkface_faces import utkface_split

__all__ = ["LIP_METHODS", "REAL_SHAPES_TAG", "CLEFT_SEVERITY", "file_slug", "build_lip_dataset"]

LIP_METHODS = ("lt-v2", "lt-v1", "cleft")
REAL_SHAPES_TAG = "real_shapes"
CLEFT_SEVERITY = (0.4, 1.0)  # each cleft copy draws its severity here: below 0.4 a gap is barely open


def file_slug(text: str) -> str:
    """`text` as a file-name part; long ones (a model path in the spec) shortened with a hash."""
    slug = re.sub(r"[^A-Za-z0-9._=+-]+", "_", text).strip("_") or "none"
    if len(slug) > 48:
        slug = f"{slug[:32]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"
    return slug


def _job_summary(summary: dict) -> dict:
    return {k: summary[k] for k in ("written", "skipped", "resumed_from") if k in summary}


class _Stages:
    """Runs the stages in order, timing each and keeping its short summary."""

    def __init__(self):
        self.seconds, self.summaries = {}, {}

    def run(self, name: str, job, *args, **kwargs) -> dict:
        started = time.perf_counter()
        summary = job(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - started, 3)
        self.summaries[name] = _job_summary(summary)
        return summary


def _check_arguments(control_inputs, methods, test_inputs, real_shapes, size, severity, threads,
                     cleft_severity) -> None:
    if not control_inputs:
        raise InputError("control_inputs: expected at least one folder, image or list file of normal faces")
    unknown = [m for m in methods if m not in LIP_METHODS]
    if unknown:
        raise InputError(f"method: expected one or more of {', '.join(LIP_METHODS)}, got '{unknown[0]}'")
    if real_shapes is not None:
        if not test_inputs:
            raise InputError("real_shapes: expected test_inputs too; the real cleft shapes are applied to the "
                             "test faces")
        if not os.path.isdir(real_shapes):
            raise MissingFileError(f"{real_shapes}: no such folder of lip templates (.npy or .pts)")
    if not 0.0 <= float(severity) <= 1.0:
        raise InputError(f"severity: expected a value in [0, 1], got {severity}")
    checked_severity_range(cleft_severity)
    if int(threads) < 1:
        raise InputError(f"threads: expected 1 or more, got {threads}")
    if not 32 <= int(size) <= 8192:
        raise InputError(f"size: expected 32..8192 pixels, got {size}")


def build_lip_dataset(control_inputs, work_dir, method: str = "lt-v2", normalizer="statistical", test_inputs=None,
                      real_shapes=None, cleft_inputs=None, size: int = 512, severity: float = 1.0, seed: int = 0,
                      threads: int = 2, progress: bool = True, pose_filter: bool = True,
                      dev_fraction: float = 0.2, crop_size: int = 224, children_inputs=None,
                      test_children_inputs=None, utkface=None, utkface_per_group=None,
                      utkface_test_per_group=None, cleft_severity=CLEFT_SEVERITY, scheduler=None, workers=None,
                      shard_size=None, client=None) -> dict:
    """Run every stage into `work_dir`; returns {"pairs", "records", "labels", "subsets",
    "seconds": {stage: s, "total": s}, "stages": {stage: {written, skipped, resumed_from}}, ...}.

    control_inputs: normal faces (folders, images or list files), split train/dev by identity.
    test_inputs: normal faces for the test split (balanced with their `method` copies).
    real_shapes: a folder of lip templates (e.g. the 13 measured cleft shapes) applied with
    LT-v2 to the test faces: the abnormal-only subset test_real_shapes. cleft_inputs: photos of
    patients (group cleft, split test): subset test_cleft. size: side of the aligned face
    (512: the shared faces are 512 px, more only costs time). normalizer: 'NAME[:opts]' or a
    Normalizer. pose_filter: the ICMI 2024 |yaw|, |pitch| < 15 degree filter of prepare.
    children_inputs / test_children_inputs: normal faces of children (train/dev, test); when
    given, the other faces are recorded as adults, giving the subsets test_adults and
    test_children and the paper's "without children" ablation (`facenorm train --without-children`).
    method: one of LIP_METHODS or several ("lt-v1,lt-v2,cleft" or a list): each copy draws one;
    a cleft copy draws its kind, side and severity (in cleft_severity), all in its params.
    utkface: a folder of UTKFace photos (every age): its held-out files (appraisal.normal_faces)
    join the test split, the others train/dev, each record's age_group read from its file name
    (0-2, 3-5, 6-12, 13-17, 18-59, 60+; the other faces are recorded as adults); the per_group
    caps draw that many faces per age group (seeded). Faces the detector misses in UTKFace's
    tight crops are retried padded and upsampled (FaceFinder).
    scheduler / workers / client: run every stage (prepare, synth, normalize, pairs) on a dask
    cluster in shards of `shard_size` inputs (docs/cluster.md; `threads` is then unused); the
    same files as the one-host run.
    """
    if (scheduler or workers is not None) and client is None:
        arguments = {k: v for k, v in locals().items() if k not in ("scheduler", "workers", "client")}
        from ..data.shards import cluster_client

        with cluster_client(scheduler, workers) as own:
            return build_lip_dataset(**arguments, client=own)
    started = time.perf_counter()
    cluster = {"client": client, "shard_size": shard_size} if client is not None else {}
    methods = method_list(method)
    _check_arguments(control_inputs, methods, test_inputs, real_shapes, size, severity, threads, cleft_severity)
    method = "+".join(methods)
    n = normalizer if isinstance(normalizer, Normalizer) else get_normalizer(normalizer)
    spec = repr(n)
    work = os.path.abspath(os.fspath(work_dir))
    if os.path.exists(work) and not os.path.isdir(work):
        raise InputError(f"{work}: exists and is not a folder; expected a work folder for the stages' files")
    normalized_dir = os.path.join(work, "normalized", file_slug(spec))
    os.makedirs(normalized_dir, exist_ok=True)
    stages = _Stages()

    ages = bool(children_inputs or test_children_inputs or utkface)
    utk_train, utk_test = (utkface_split(utkface, utkface_per_group, utkface_test_per_group, int(seed))
                           if utkface else ([], []))

    def prepare(name, inputs, group, split, age_group="", utk=False):
        out = os.path.join(work, f"{name}.h5")
        options = PrepareOptions(size=int(size), group=group, split=split, pose_filter=pose_filter,
                                 age_group=age_group, age_from_name="utkface" if utk else "",
                                 tight_crop_fallback=utk)
        if cluster:
            stages.run(f"prepare_{name}", prepare_dataset_on_cluster, inputs, out, options, progress=progress, **cluster)
        else:
            stages.run(f"prepare_{name}", prepare_dataset, inputs, out, options, threads=int(threads),
                       progress=progress)
        return out

    def synth(name, prepared, tag, synth_method, templates=None):
        out = os.path.join(work, f"{name}.{tag}.h5")
        mixed = {"cleft_severity": list(cleft_severity)} if "cleft" in method_list(synth_method) else {}
        stages.run(f"synth_{name}_{tag}", run_synth, prepared, out, synth_method, severity=float(severity),
                   seed=int(seed), templates=templates, progress=progress, **mixed, **cluster)
        return out

    def normalize(path):
        name = os.path.basename(path)[: -len(".h5")].replace(".", "_")
        out = os.path.join(normalized_dir, os.path.basename(path))
        stages.run(f"normalize_{name}", run_normalize, path, out, n, progress=progress, **cluster)
        return out

    adult = "adult" if ages else ""
    controls = prepare("controls", control_inputs, "control", "", adult)
    test = prepare("test", test_inputs, "control", "test", adult) if test_inputs else None
    cleft = prepare("cleft", cleft_inputs, "cleft", "test") if cleft_inputs else None
    controls_t = synth("controls", controls, method, methods)
    test_t = synth("test", test, method, methods) if test else None
    shapes_t = synth("test", test, REAL_SHAPES_TAG, "lt-v2", os.path.abspath(real_shapes)) if real_shapes else None

    sources = [PairSource(controls, normalize(controls), controls_t, normalize(controls_t))]
    if test:
        sources.append(PairSource(test, normalize(test), test_t, normalize(test_t)))
    if shapes_t:
        sources.append(PairSource(test, transformed=shapes_t, normalized_transformed=normalize(shapes_t),
                                  abnormal_only=True, tag=REAL_SHAPES_TAG))
    for name, inputs, split in (("children", children_inputs, ""), ("test_children", test_children_inputs, "test")):
        if inputs:
            kids = prepare(name, inputs, "control", split, "child")
            kids_t = synth(name, kids, method, methods)
            sources.append(PairSource(kids, normalize(kids), kids_t, normalize(kids_t)))
    for name, files, split in (("utkface", utk_train, ""), ("test_utkface", utk_test, "test")):
        if files:
            listed = atomic_write_text(os.path.join(work, f"{name}.txt"), "".join(f + "\n" for f in files))
            faces = prepare(name, [listed], "control", split, "adult", utk=True)
            faces_t = synth(name, faces, method, methods)
            sources.append(PairSource(faces, normalize(faces), faces_t, normalize(faces_t)))
            if split == "test" and real_shapes:
                shapes_u = synth(name, faces, REAL_SHAPES_TAG, "lt-v2", os.path.abspath(real_shapes))
                sources.append(PairSource(faces, transformed=shapes_u, normalized_transformed=normalize(shapes_u),
                                          abnormal_only=True, tag=REAL_SHAPES_TAG))
    if cleft:
        sources.append(PairSource(cleft, normalize(cleft), abnormal_only=True, tag="cleft"))

    pairs_path = os.path.join(work, f"pairs.{method}.{file_slug(spec)}.h5")
    pairs = stages.run("pairs", build_pairs, None, pairs_path, dev_fraction=dev_fraction, crop_size=crop_size,
                       seed=int(seed), progress=progress, sources=sources, **cluster)
    stages.seconds["total"] = round(time.perf_counter() - started, 3)
    return {"pairs": pairs["out"], "work_dir": work, "method": method, "normalizer": spec,
            "records": pairs["records"], "labels": pairs["labels"], "subsets": pairs["subsets"],
            "not_used": pairs["not_used"], "seconds": stages.seconds, "stages": stages.summaries}
