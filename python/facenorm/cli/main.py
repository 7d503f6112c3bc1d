"""Entry point of `facenorm` / `python -m facenorm`.

Every command that reports takes --json and then prints exactly one JSON document on stdout;
logs and progress bars go to stderr. Exit codes: 0 success, 1 a facenorm error, 2 bad usage.
"""
import argparse
import importlib
import json
import math
import sys

from .._core import InputError

__all__ = ["COMMAND_MODULES", "UsageError", "add_policy_argument", "build_parser", "emit_json", "main"]

# Command modules in the order `facenorm --help` lists them.
COMMAND_MODULES = ["landmarks", "lip_transform", "score", "palsy", "agreement", "calibrate_score", "prepare",
                   "fit_anomaly_model", "train_anomaly_student", "train_inpainter", "calibrate_appraisal", "evaluate_appraisal",
                   "synth", "normalize", "lip_dataset", "fit_normal_model", "train_normalizer", "evaluate_normalizer",
                   "train_landmarks", "train_landmark_refiner", "train_shape_predictor", "evaluate_landmarks",
                   "train_palsy_assessment",
                   "train_parsing", "evaluate_parsing", "train", "evaluate",
                   "classify", "demo", "fetch_models"]


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (bad values exit 2 with argparse's message)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got '{text}'")
    return value


def add_policy_argument(parser) -> None:
    """--policy largest|all|error: the one multi-face option of every command that measures faces
    (landmarks, classify, palsy, score; facenorm.pipeline.choose_faces applies it)."""
    parser.add_argument("--policy", default="largest", choices=["largest", "all", "error"],
                        help="several faces: measure the largest (default), all (one entry per face), or "
                             "error (refuse the photo)")


class UsageError(InputError):
    """Arguments that contradict each other: exit status 2 like argparse's errors, with the --json
    error document; an InputError, so library callers catch it as before."""


def build_parser() -> argparse.ArgumentParser:
    from .._core import __version__

    parser = argparse.ArgumentParser(prog="facenorm", description="Objective measurement of facial anomalies.")
    parser.add_argument("--version", action="version", version=f"facenorm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"facenorm.cli.{name}").register(sub)
    return parser


def _finite_or_null(value):
    """NaN and inf are not JSON; they are printed as null (e.g. an undefined correlation)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def emit_json(document) -> None:
    json.dump(_finite_or_null(document), sys.stdout, indent=None, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def main(argv=None) -> int:
    from .._core import FacenormError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except FacenormError as e:
        print(f"facenorm {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        if getattr(args, "json", False):
            emit_json({"error": str(e), "error_type": type(e).__name__})
        return 2 if isinstance(e, UsageError) else 1
    except BrokenPipeError:  # e.g. `facenorm landmarks --json ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("facenorm: interrupted", file=sys.stderr)
        return 130
