"""Run directories: the config that rebuilds a model, checkpoints, atomic writes.

A run directory holds::

    config.json     model name/options, data set, preprocessing, training config
    checkpoints/    tf.train.CheckpointManager files (one per epoch, last 3 kept)
    history.csv     one row per epoch (val_*: the test set, or with --val-split a held-out part of train)
    partial_epoch.json  an interrupted epoch's running loss/accuracy/time (until it ends)
    metrics.json    final numbers
    logs/           TensorBoard event files

Only our own TensorFlow checkpoints are ever loaded (no pickles).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import pandas as pd

from convnets import import_tensorflow
from convnets.data.pipeline import PreprocessSpec
from convnets.errors import ConvnetsError
from convnets.models import Model, create_model

tf = import_tensorflow()  # once, quietly (convnets/train/__init__.py)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path`` then rename: never half a file.

    The file gets the permissions of any file the user creates (0666 less the umask,
    so 0644 usually), not the owner-only 0600 of ``tempfile.mkstemp``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = os.fspath(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the kernel applies the umask
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2) + "\n")


def read_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's config.json, or a clear error if ``run_dir`` is not a run."""
    path = Path(run_dir) / "config.json"
    if not Path(run_dir).is_dir():
        what = "is a file, not a run directory" if Path(run_dir).exists() else "does not exist"
        raise ConvnetsError(f"run directory {run_dir} {what}")
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ConvnetsError(f"{run_dir} is not a run directory (no config.json); train one with 'convnets train'") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ConvnetsError(f"{path}: unreadable run config ({e})") from None


def read_history(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The run's history.csv, one row per epoch.

    Versions before ``partial_epoch.json`` existed wrote an epoch resumed after its
    last batch with 0 images and a training loss and accuracy of 0: those are
    read as unknown (NaN), so curves show a gap rather than a false drop to zero.
    """
    history = pd.read_csv(Path(run_dir) / "history.csv")
    history.loc[untimed_epochs(history), [c for c in ("loss", "accuracy", "top5") if c in history]] = float("nan")
    return history


def untimed_epochs(history: pd.DataFrame) -> pd.Series:
    """Which epochs were resumed after their last batch by a version before ``partial_epoch.json``:
    written over 0 images, their training statistics and time were lost."""
    return history["images"] == 0 if "images" in history else pd.Series(False, index=history.index)


def evaluated_on(history: pd.DataFrame) -> str:
    """What a run's per-epoch val_* columns evaluated: "test set" (the default, and every run
    made before --val-split existed), or the held-out part of train, e.g. "10% of train (6,000 images), seed 0"."""
    known = history["validation"].dropna() if "validation" in history else pd.Series(dtype=object)
    return str(known.iloc[-1]) if len(known) else "test set"


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> str | None:
    return tf.train.latest_checkpoint(os.fspath(Path(run_dir) / "checkpoints"))


def restore(checkpoint: tf.train.Checkpoint, path: str, partial: bool = False) -> None:
    """Restore ``path`` into ``checkpoint``; any unreadable or mismatched file is a ``ConvnetsError``."""
    try:
        status = checkpoint.restore(path)
        (status.expect_partial() if partial else status).assert_existing_objects_matched()
    except (AssertionError, tf.errors.OpError, ValueError, IndexError, KeyError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        raise ConvnetsError(f"{path}: checkpoint is corrupt or from another model ({first})") from None


def load_run(run_dir: str | os.PathLike[str]) -> tuple[Model, PreprocessSpec, dict[str, Any]]:
    """Rebuild a trained model from its run directory: (model, preprocessing, config)."""
    config = read_config(run_dir)
    ckpt = latest_checkpoint(run_dir)
    if ckpt is None:
        raise ConvnetsError(f"{run_dir} has no checkpoint yet (checkpoints/ is empty)")
    m = config["model"]
    model = create_model(m["name"], num_classes=m["num_classes"], input_shape=m["input_shape"], **m["options"])
    decay = (config.get("train") or {}).get("ema") or 0.0  # converted runs have no training config
    if decay:  # trained with --ema: the weights it evaluated, and so the ones to use, are the average
        from convnets.optim.ema import WeightAverage

        average = WeightAverage(model.variables, decay)
        restore(tf.train.Checkpoint(model=model, ema=average), ckpt, partial=True)
        average.copy_to_model()
    else:
        restore(tf.train.Checkpoint(model=model), ckpt, partial=True)
    return model, PreprocessSpec.from_dict(config["preprocess"]), config
