"""A training run's folder: weights and optimizer states written atomically after every epoch,
and `training.json` (settings, progress, loss curves) to resume a killed run from. Reopening a
folder with other settings raises DatasetError naming both, so one folder never mixes two runs."""
import json
import os
from dataclasses import asdict

from ._core import DatasetError
from .files import atomic_json, atomic_write

__all__ = ["Checkpoints"]


class Checkpoints:
    """The model folder: atomic writes, and the training state to resume from."""

    def __init__(self, folder, settings, source, initial_state: dict, extendable=()):
        """extendable: settings (e.g. "epochs") a rerun may change: more epochs train a finished or
        stopped run further, as many or fewer write the model from the last finished epoch; any
        other difference is refused."""
        self.folder = os.fspath(folder)
        os.makedirs(self.folder, exist_ok=True)
        self.settings = {**asdict(settings), "source": source}
        self.state_path = os.path.join(self.folder, "training.json")
        self.state = {"settings": self.settings, **initial_state}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                stored = json.load(f)
            old = stored.get("settings") or {}
            same = {k: v for k, v in old.items() if k not in extendable} == \
                {k: v for k, v in self.settings.items() if k not in extendable}
            if same:
                stored["settings"] = self.settings
            if stored.get("settings") != self.settings:
                raise DatasetError(f"{self.folder}: holds a training run with other settings "
                                 f"({stored.get('settings')}); rerun with the same arguments to resume it, "
                                 f"or choose another --out (asked: {self.settings})")
            self.state = stored

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def save(self, writers: dict) -> None:
        """writers: {file name: function(path)}; each goes to a temporary file, renamed after."""
        for name, write in writers.items():
            atomic_write(self.path(name), write)
        atomic_json(self.state_path, self.state, indent=1)

    def finish(self, model: dict, weights=()) -> str:
        """The trainers' epilogue: `model.json` (the settings a loader needs) with the sha256 of
        each weight file in `weights` added under "sha256", written atomically; its path."""
        from .models import sha256_of
        document = dict(model, sha256={name: sha256_of(self.path(name)) for name in weights})
        return atomic_json(self.path("model.json"), document, indent=1)
