"""What the fetch step reports: one result row per model, and log lines on stderr."""
import sys
from pathlib import Path

__all__ = ["log", "result"]


def log(message: str) -> None:
    print(f"facenorm fetch-models: {message}", file=sys.stderr, flush=True)


def result(entry: dict, status: str, path=None, sha256=None, error=None) -> dict:
    size = Path(path).stat().st_size if path and Path(path).is_file() else None
    return {"name": entry["name"], "path": str(path) if path else None, "sha256": sha256, "size": size,
            "status": status, "error": error}
