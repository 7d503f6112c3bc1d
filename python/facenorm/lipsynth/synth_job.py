"""`facenorm synth`: a prepared dataset -> a dataset of synthetic anomalies with known ground truth.

Every output record derives from one control record (parent_id) and stores the transformed
image, the landmarks after the transform, the parent's box and pose, and in `params` the method,
template (or LT-v1 displacement, or palsy side, or for clefts every parameter of
synthesize_cleft under "cleft"), severity and seed. Output sources are
"<input file>#<record>/<k>", so a killed job restarted with the same arguments skips what is
there and neither loses nor duplicates a record (the DatasetWriter commit protocol). Where the
requested severity would fold a thin or open lip, the transforms lower it just enough
(lipsynth.fold_guard) and `params` records both `severity` and `severity_applied`; anything the
kernel still refuses is recorded in `skipped` with reason "transform_refused".
"""
import os
import sys
import time

import numpy as np

from .. import _core
from ..data.dataset import Dataset
from ..data.writer import DatasetWriter
from .default_templates import default_lip_templates
from .lip_transform import lip_transform_v1, lip_transform_v2
from .lt_v1 import LT_V1_TRANSFORMS
from .lt_v2 import check_anchor
from .method_mix import checked_severity_range, drawn_method, drawn_severity, method_list, record_group
from .cleft import CLEFT_KINDS, synthesize_cleft
from .palsy import palsy_transform
from .templates import lip_templates_in

__all__ = ["STAGE", "METHODS", "CLEFT_SIDE_CHOICES", "record_seed", "cleft_choice", "synthesize", "synth_shard", "run_synth"]

STAGE = "synth"
METHODS = ("lt-v1", "lt-v2", "palsy", "cleft")
CLEFT_SIDE_CHOICES = ("random", "left", "right", "both")


def record_seed(seed: int, record: int, k: int) -> int:
    """One reproducible seed per output record, independent of processing order."""
    return int(np.random.SeedSequence([seed, record, k]).generate_state(1)[0])


def cleft_choice(kind: str, side: str, rng) -> tuple:
    """(kind, side) of one cleft record: kind "mixed" draws one of CLEFT_KINDS, side "random" one
    of left/right (bilateral kinds always take both)."""
    if kind == "mixed":
        kind = CLEFT_KINDS[int(rng.integers(len(CLEFT_KINDS)))]
    if kind.startswith("bilateral"):
        return kind, "both"
    if side == "random" or (side == "both" and kind != "repaired"):
        side = ("left", "right")[int(rng.integers(2))]
    return kind, side


def synthesize(method: str, image, landmarks, severity: float, seed: int, templates: dict, anchor: str = "corner",
               cleft_kind: str = "mixed", cleft_side: str = "random"):
    """One synthetic sample: (image, landmarks_after, params)."""
    rng = np.random.default_rng(seed)
    if method == "cleft":
        kind, side = cleft_choice(cleft_kind, cleft_side, rng)
        c = synthesize_cleft(image, landmarks, kind, side, severity, seed)
        return c.image, c.landmarks, {"severity_applied": severity, "cleft": c.params}
    if method == "lt-v2":
        t = lip_transform_v2(image, landmarks, templates, severity, seed, anchor=anchor)
        return t.image, t.landmarks_after, {"template": t.template, "severity_applied": t.severity, "anchor": anchor}
    if method == "lt-v1":
        name = LT_V1_TRANSFORMS[int(rng.integers(len(LT_V1_TRANSFORMS)))]
        t = lip_transform_v1(image, landmarks, name, severity)
        return t.image, t.landmarks_after, {"template": name, "severity_applied": t.severity}
    side = ("left", "right")[int(rng.integers(2))]
    t = palsy_transform(image, landmarks, side, severity)
    return t.image, t.landmarks_after, {"side": side, "severity_applied": t.severity,
                                        "region_pixels": int((t.region > 0).sum())}


def _open_output(out, params, image_shape) -> DatasetWriter:
    if not os.path.exists(out):
        return DatasetWriter.create(out, image_shape, params=params, stage=STAGE)
    return DatasetWriter.reopen_for_job(out, STAGE, params)


def run_synth(source, out, method="lt-v2", severity: float = 1.0, per_record: int = 1,
              seed: int = 0, templates=None, progress: bool = True, anchor: str = "corner",
              cleft_kind: str = "mixed", cleft_side: str = "random", cleft_severity=None,
              scheduler=None, workers=None, shard_size=None, client=None, after_record=None) -> dict:
    """Run the job; returns the summary `facenorm synth --json` prints. anchor: LT-v2's
    construction (lipsynth.lt_v2), recorded in the job's and each record's params. cleft_kind
    (one of CLEFT_KINDS or "mixed") and cleft_side (CLEFT_SIDE_CHOICES): method "cleft"; every
    record's params hold all of the synthesizer's parameters under "cleft". method: one name,
    or several ("lt-v1,lt-v2,cleft" or a list): each record draws one (lipsynth.method_mix).
    cleft_severity: (low, high): each cleft record draws its severity uniformly in it. A record's
    group is its method, for a cleft cleft_<kind>. scheduler / workers / client: run on a dask
    cluster in shards of `shard_size` outputs (docs/cluster.md); same file as the threaded job."""
    from tqdm import tqdm

    started = time.perf_counter()
    methods = method_list(method)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise _core.InputError(f"method: expected one of {', '.join(METHODS)}, got '{unknown[0]}'")
    cleft_severity = checked_severity_range(cleft_severity)
    if per_record < 1:
        raise _core.InputError(f"per_record: expected 1 or more, got {per_record}")
    if not 0.0 <= severity <= 1.0:
        raise _core.InputError(f"severity: expected a value in [0, 1], got {severity}")
    check_anchor(anchor)
    if cleft_kind not in CLEFT_KINDS + ("mixed",):
        raise _core.InputError(f"cleft kind: expected one of {', '.join(CLEFT_KINDS)} or mixed, got '{cleft_kind}'")
    if cleft_side not in CLEFT_SIDE_CHOICES:
        raise _core.InputError(f"cleft side: expected one of {', '.join(CLEFT_SIDE_CHOICES)}, got '{cleft_side}'")
    source, out = os.path.abspath(os.fspath(source)), os.path.abspath(os.fspath(out))
    template_set = lip_templates_in(templates) if templates else default_lip_templates()
    params = {"stage": STAGE, "source": source, "method": methods[0] if len(methods) == 1 else list(methods),
              "severity": severity,
              "per_record": per_record, "seed": seed, "templates": os.path.abspath(templates) if templates else "builtin"}
    if "lt-v2" in methods:  # an output of the earlier construction (no anchor recorded) is another job
        params["anchor"] = anchor
    if "cleft" in methods:
        params.update(cleft_kind=cleft_kind, cleft_side=cleft_side)
        if cleft_severity is not None:
            params["cleft_severity"] = list(cleft_severity)
    spec = {"source": source, "methods": methods, "seed": seed, "severity": severity,
            "cleft_severity": cleft_severity, "templates": os.path.abspath(templates) if templates else None,
            "anchor": anchor,
            "cleft_kind": cleft_kind, "cleft_side": cleft_side}
    if scheduler or workers is not None or client is not None:
        return _run_on_cluster(out, params, spec, per_record, progress, scheduler, workers, shard_size, client,
                               after_record, started)
    written = skipped = 0
    with Dataset.open(source) as data, _open_output(out, params, data.image_shape) as writer:
        done = writer.sources()
        todo = [(i, k) for i in range(len(data)) for k in range(per_record) if f"{source}#{i}/{k}" not in done]
        with tqdm(total=len(data) * per_record, initial=len(data) * per_record - len(todo), unit="img",
                  desc="synth", file=sys.stderr, disable=not progress) as bar:
            written, skipped = _synth_items(writer, data, todo, spec, template_set, lambda: bar.update(1))
    return {"out": out, "written": written, "skipped": skipped, "resumed_from": len(data) * per_record - len(todo),
            "method": params["method"], "seconds": round(time.perf_counter() - started, 3)}


def _key(source: str, i: int, k: int) -> str:
    return f"{source}#{i}/{k}"


def _synth_items(writer, data, items, spec: dict, template_set, after_each=None) -> tuple:
    """Synthesize the (record, k) `items` of `data` into `writer`, in order; (written, skipped)."""
    source, methods, records = spec["source"], spec["methods"], data.records
    written = skipped = 0
    for i, k in items:
        sample = data[i]
        s = record_seed(spec["seed"], i, k)
        m = drawn_method(methods, s)
        strength = drawn_severity(spec["severity"], spec["cleft_severity"] if m == "cleft" else None, s)
        try:
            image, after, extra = synthesize(m, sample.image, sample.landmarks, strength, s, template_set,
                                             spec["anchor"], spec["cleft_kind"], spec["cleft_side"])
        except _core.InputError as e:  # e.g. a move that would fold a thin or open lip
            writer.append_skipped(_key(source, i, k), "transform_refused", type(e).__name__, str(e))
            skipped += 1
        else:
            writer.append(_key(source, i, k), image, after, sample.box, sample.pose,
                          subject_id=records[i].get("subject_id", ""), group=record_group(m, extra),
                          age_group=records[i].get("age_group", ""), split=records[i].get("split", ""),
                          parent_id=i, params={"method": m, "severity": strength, "seed": s, **extra})
            written += 1
        if after_each is not None:
            after_each()
    return written, skipped


def synth_shard(path: str, keys: list, spec: dict, job: dict, after_record=None) -> str:
    """A dask task (docs/cluster.md): the synth records of `keys` ("<source>#<i>/<k>") in the
    shard file `path`; a rerun after a killed worker resumes the partial shard."""
    from ..data.shards import open_shard, shard_params

    params = shard_params(job, keys)
    template_set = lip_templates_in(spec["templates"]) if spec["templates"] else default_lip_templates()
    with Dataset.open(spec["source"]) as data:
        def create(p):
            return DatasetWriter.create(p, data.image_shape, params=params, stage=STAGE)

        with open_shard(path, params, create) as writer:
            done = writer.sources()
            items = [tuple(int(v) for v in key.rsplit("#", 1)[1].split("/")) for key in keys if key not in done]
            hook = (lambda: after_record(path, len(writer) + writer.skipped_count())) if after_record else None
            _synth_items(writer, data, items, spec, template_set, hook)
    return path


def _run_on_cluster(out, params, spec, per_record, progress, scheduler, workers, shard_size, client,
                    after_record, started) -> dict:
    from contextlib import nullcontext

    from tqdm import tqdm

    from ..data.shards import (check_exactly_once, cluster_client, cluster_threads, plan_shards, remove_shards,
                               run_shards, shard_sources)

    source = spec["source"]
    with (nullcontext(client) if client is not None else cluster_client(scheduler, workers)) as client:
        threads = cluster_threads(client)
        with Dataset.open(source) as data:
            n, image_shape = len(data), data.image_shape
        keys = [_key(source, i, k) for i in range(n) for k in range(per_record)]
        with _open_output(out, params, image_shape) as writer:
            done = writer.sources()
            todo = [key for key in keys if key not in done]
            plan = plan_shards(out, todo, shard_size or max(1, min(64, -(-len(todo) // (4 * threads)))))
            with tqdm(total=len(keys), initial=len(keys) - len(todo), unit="img", desc="synth", file=sys.stderr,
                      disable=not progress) as bar:
                written, reasons = run_shards(client, writer, plan, synth_shard, spec, params, name="synth",
                                              bar=bar, after_record=after_record)
            check_exactly_once(out, shard_sources(writer.h5), keys)
        remove_shards(out)
        return {"out": out, "written": written, "skipped": sum(reasons.values()), "resumed_from": len(keys) - len(todo),
                "method": params["method"], "seconds": round(time.perf_counter() - started, 3),
                "workers": len(client.scheduler_info()["workers"]), "shards": len(plan)}
