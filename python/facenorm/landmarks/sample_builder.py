"""The samples of a landmark command (train-landmarks, train-landmark-refiner,
evaluate-landmarks) from its arguments: one builder for all three."""
import os

from .._core import InputError

__all__ = ["samples_for_command"]


def samples_for_command(args, sample_type, predictors=None, progress: bool = True):
    """`sample_type` (LandmarkSet or RefineSet) from args.inputs' normal faces (at most
    args.limit, with args.palsy_copies) and then each args.annotated folder, merged. args.samples,
    when given, caches them: loaded when the file exists and no predictors are asked for, written
    after building. predictors: {name: landmarker} run on every sample (LandmarkSet only)."""
    cache = getattr(args, "samples", None)
    if cache and os.path.isfile(cache) and not predictors:
        return sample_type.load(cache)
    from ..data.inputs import collect_image_paths
    from .fcn.annotations import read_annotated_folder

    if not args.inputs and not args.annotated:
        raise InputError("expected normal face images (IMG|DIR|LIST) and/or --annotated DIR")
    extra = {"predictors": predictors} if predictors else {}
    sets = []
    if args.inputs:
        paths = collect_image_paths(args.inputs)[:args.limit]
        sets.append(sample_type.from_normal_faces(paths, palsy_copies=args.palsy_copies, progress=progress, **extra))
    for folder in args.annotated:
        sets.append(sample_type.from_annotations(read_annotated_folder(folder), progress=progress, **extra))
    merged = sets[0]
    for other in sets[1:]:
        merged = merged.concatenated(other)
    if cache:
        merged.save(cache)
    return merged
