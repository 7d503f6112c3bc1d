"""Entry point of `facenorm` / `python -m facenorm`.

Every command that reports takes --json and then prints exactly one JSON document on stdout;
logs and progress bars go to stderr. Exit codes: 0 success, 1 a facenorm error, 2 bad usage.
"""
import argparse
import importlib
import json
import math
import os
import sys

from .._core import InputError

__all__ = ["COMMAND_MODULES", "OUTPUT_OPTIONS", "UsageError", "add_policy_argument", "build_parser", "check_outputs",
           "emit_json", "main"]

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


class _Parser(argparse.ArgumentParser):
    """argparse's errors raised (not exited) so that main() prints them as the --json error document."""

    def error(self, message):
        error = UsageError(f"{self.prog}: {message}")
        error.parser = self
        raise error


# Options that name something a command writes, checked before the command starts. The metavar
# says the kind: DIR (or *_DIR) a folder, FILE|DIR either, anything else a file; --dest (no
# metavar) is a folder.
OUTPUT_OPTIONS = ("out", "csv", "draw", "heatmap", "figure", "samples", "dest")


def _output_kind(action):
    metavar = str(action.metavar or "").upper()
    if "|" in metavar:
        return None
    return "folder" if metavar == "DIR" or metavar.endswith("_DIR") or action.dest == "dest" else "file"


def check_outputs(parser, args) -> None:
    """Refuse an output path that cannot be written before any work starts (files.check_output_path)."""
    from ..files import check_output_path

    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    command = sub.choices.get(args.command) if sub else None
    for action in command._actions if command else []:
        value = getattr(args, action.dest, None)
        if action.dest in OUTPUT_OPTIONS and isinstance(value, (str, os.PathLike)):
            check_output_path(value, _output_kind(action))


def build_parser() -> argparse.ArgumentParser:
    from .._core import __version__

    parser = _Parser(prog="facenorm", description="Objective measurement of facial anomalies.")
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


def _fail(command, error, as_json: bool, status: int) -> int:
    """The error on stderr and, with --json, as the one JSON document on stdout."""
    print(f"facenorm {command}: {type(error).__name__}: {error}", file=sys.stderr)
    if as_json:
        emit_json({"error": str(error), "error_type": type(error).__name__})
    return status


def main(argv=None) -> int:
    from .._core import FacenormError

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:  # argparse's own errors: usage and message on stderr as argparse prints them, exit 2
        source = getattr(e, "parser", parser)
        source.print_usage(sys.stderr)
        print(f"{source.prog}: error: {str(e)[len(source.prog) + 2:]}", file=sys.stderr)
        if "--json" in argv:
            emit_json({"error": str(e), "error_type": "UsageError"})
        return 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    as_json = getattr(args, "json", False)
    try:
        check_outputs(parser, args)
        return int(args.func(args) or 0)
    except FacenormError as e:
        return _fail(args.command, e, as_json, 2 if isinstance(e, UsageError) else 1)
    except BrokenPipeError:  # e.g. `facenorm landmarks --json ... | head`
        sys.stderr.close()
        return 0
    except OSError as e:  # a full disk, a folder that vanished: the message names the file
        return _fail(args.command, e, as_json, 1)
    except KeyboardInterrupt:
        print("facenorm: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: the traceback on stderr, and still one JSON document
        import traceback
        traceback.print_exc()
        return _fail(args.command, e, as_json, 1)
