"""facenorm fit-anomaly-model [--data ../shared/data] [--cache FILE.h5] --out DIR: the PaDiM anomaly
model of the default appraisal, fitted on normal faces of every age (UTKFace's fitting split and
CelebAMask-HQ train) and their mirrors, then calibrated on held-out ones (docs/appraisal.md)."""
from .main import emit_json
from .prepare import add_cluster_arguments

__all__ = ["register", "run"]


def register(sub):
    p = sub.add_parser("fit-anomaly-model", help="fit the appraisal's anomaly map on normal faces of every age (~15 min)")
    p.add_argument("--data", default="../shared/data", metavar="DIR",
                   help="the folder holding utkface/images and celebamask/{train,test}/images (default ../shared/data)")
    p.add_argument("--out", required=True, metavar="DIR", help="the model folder to write (model.json, gaussians.npz)")
    p.add_argument("--cache", metavar="FILE.h5",
                   help="the feature cache (landmarks and embeddings; resumable; default DIR/../<name>_features.h5)")
    p.add_argument("--per-group", type=int, default=700, help="UTKFace faces per age group (default 700)")
    p.add_argument("--channels", type=int, default=100, help="random feature channels kept (default 100)")
    p.add_argument("--shrinkage", type=float, default=0.05, help="covariance shrinkage towards its trace (default 0.05)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-lighting", action="store_true", help="do not even out the face's exposure before the features")
    p.add_argument("--calibration-per-group", type=int, default=100,
                   help="held-out faces per age group for the calibration (default 100; 0 skips it)")
    add_cluster_arguments(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from .._core import InputError
    from ..appraisal.anomaly_fit import fit_anomaly_model
    from ..appraisal.calibrate_job import calibrate_appraisal
    from ..appraisal.feature_cache import build_feature_cache
    from ..appraisal.features import Embedder
    from ..appraisal.normal_faces import normal_face_files

    if not 0.0 <= args.shrinkage <= 1.0:
        raise InputError(f"--shrinkage: expected 0 to 1, got {args.shrinkage}")
    out = os.path.abspath(args.out)
    cache = args.cache or os.path.join(os.path.dirname(out), os.path.basename(out) + "_features.h5")
    embedder = Embedder(args.channels, args.seed, not args.no_lighting)
    files = normal_face_files(args.data, "fit", per_group=args.per_group, seed=args.seed)
    if args.scheduler or args.workers is not None:   # the feature cache on a dask cluster (docs/cluster.md)
        from ..data.shards import cluster_client
        with cluster_client(args.scheduler, args.workers) as client:
            summary = {"cache": build_feature_cache(cache, files, embedder, client=client, shard_size=args.shard_size)}
    else:
        summary = {"cache": build_feature_cache(cache, files, embedder)}
    model = fit_anomaly_model(cache, args.channels, args.seed, args.shrinkage, not args.no_lighting)
    model.save(out)
    summary["model"] = out
    if args.calibration_per_group:
        summary["calibration"] = calibrate_appraisal(args.data, out, per_group=args.calibration_per_group)
    if args.json:
        emit_json(summary)
    return 0
