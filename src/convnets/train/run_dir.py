"""``RunDir``: the run directory as the training loop reads and writes it.

The files (convnets/train/checkpoint.py lists them) other than the checkpoints,
which ``TrainState`` saves: config.json, history.csv, partial_epoch.json and
metrics.json, and the checks that decide whether a run may be started or resumed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from convnets.errors import ConfigError
from convnets.train.checkpoint import latest_checkpoint, read_config, read_history, write_atomic, write_json
from convnets.train.config import TrainConfig
from convnets.train.metrics import Mean

PARTIAL_EPOCH = "partial_epoch.json"


class RunDir:
    """The files of one training run in ``path``."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def logs(self) -> Path:  # TensorBoard event files
        return self.path / "logs"

    def check_start(self, run_config: dict[str, Any], resume: bool) -> None:
        """Refuse to overwrite a run, or to resume one with another model, data set or recipe.

        Resuming must keep every training setting, or the run would no longer be what its
        config.json says (nor match an uninterrupted run); only the epochs may change
        (train() warns when that moves the schedule).
        """
        has_ckpt = latest_checkpoint(self.path) is not None
        if not resume:
            if has_ckpt:
                raise ConfigError(f"{self.path} already holds a run; pass --resume to continue it "
                                  "or choose another --out")
            return
        if not has_ckpt:
            raise ConfigError(f"cannot resume: {self.path} has no checkpoint")
        old = read_config(self.path)
        if old.get("train") is None:
            raise ConfigError(f"{self.path} was converted from Keras, not trained here; it cannot be resumed")
        for what in ("model", "dataset"):
            if old.get(what) != run_config[what]:
                raise ConfigError(f"cannot resume: {self.path} was trained with {what} {old.get(what)}, "
                                  f"not {run_config[what]}")
        before = TrainConfig.from_dict(old["train"]).to_dict()  # settings added since the run was made: their defaults
        changed = [f"{k} {before.get(k)!r} -> {v!r}" for k, v in run_config["train"].items()
                   if k not in ("epochs", "tta", "steps_per_call") and before.get(k) != v]  # the same steps
        if changed:
            raise ConfigError(f"cannot resume: {self.path} was trained with other settings: {', '.join(changed)}; "
                              "only --epochs may change when resuming (use another --out for a new run)")

    def recorded_epochs(self) -> int:
        """The epochs config.json asks for (before this run rewrites it)."""
        return read_config(self.path)["train"]["epochs"]

    def write_config(self, run_config: dict[str, Any]) -> None:
        write_json(self.path / "config.json", run_config)

    def history(self, upto: int) -> list[dict[str, Any]]:
        """history.csv's rows for epochs 1 to ``upto`` (the ones the checkpoint covers)."""
        rows = read_history(self.path).to_dict("records") if (self.path / "history.csv").exists() else []
        return [h for h in rows if h["epoch"] <= upto]

    def write_history(self, rows: list[dict[str, Any]]) -> None:
        write_atomic(self.path / "history.csv", pd.DataFrame(rows).to_csv(index=False))

    def read_partial_epoch(self, epoch: int, step: int) -> tuple[Mean, float] | None:
        """The running sums and seconds an interrupted ``epoch`` had reached at optimiser ``step``, if saved.

        A missing, unreadable or stale file (from another checkpoint) only costs the
        epoch's training statistics, never the weights: it is ignored.
        """
        try:
            saved = json.loads((self.path / PARTIAL_EPOCH).read_text())
            if saved["epoch"] == epoch and saved["step"] == step:
                return Mean.from_state(saved["meter"]), float(saved["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def write_partial_epoch(self, partial: dict[str, Any]) -> None:
        """Beside the checkpoint, which holds the weights: an interrupted epoch's running loss,
        accuracy and time so far (``TrainState.partial_epoch``), so the resumed epoch reports the whole epoch."""
        write_json(self.path / PARTIAL_EPOCH, partial)

    def clear_partial_epoch(self) -> None:
        (self.path / PARTIAL_EPOCH).unlink(missing_ok=True)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        write_json(self.path / "metrics.json", metrics)
