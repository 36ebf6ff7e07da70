"""Nothing lost, nothing trusted blindly: concurrent downloads, half-written
checkpoints, corrupt checkpoints."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
import pytest

import convnets
from convnets.data import load_dataset
from convnets.data.download import download
from convnets.errors import ConvnetsError
from convnets.layers import init
from convnets.train import TrainConfig, load_run, train


def _fetch(src_uri: str, dest: str, sha: str, q) -> None:
    os.environ.pop("CONVNETS_NO_DOWNLOAD", None)
    try:
        download([src_uri], Path(dest), sha)
        q.put("ok")
    except Exception as e:  # pragma: no cover - reported through the queue
        q.put(repr(e))


def test_two_processes_downloading_the_same_file(tmp_path):
    payload = np.random.default_rng(0).bytes(8 << 20)  # 8 MiB, slow enough to overlap
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    dest = tmp_path / "cache" / "data.bin"
    q = mp.get_context("spawn").Queue()
    procs = [mp.get_context("spawn").Process(target=_fetch, args=(src.as_uri(), str(dest), sha, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(q.get(timeout=5) for _ in procs) == ["ok", "ok"]
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".part")]


@pytest.fixture()
def finished_run(tmp_path):
    init.set_seed(0)
    model = convnets.create_model("lenet5_modern", input_shape=(16, 16, 1))
    train(model, load_dataset("digits"), TrainConfig(epochs=2, batch_size=256), tmp_path / "run", progress=False, log=lambda s: None)
    return tmp_path / "run", model


def test_half_written_checkpoint_leaves_previous_usable(finished_run):
    run, model = finished_run
    ckpts = run / "checkpoints"
    # A crash mid-save leaves data/index files that the 'checkpoint' state file never names.
    (ckpts / "ckpt-99999.index").write_bytes(b"\x00\x01partial")
    (ckpts / "ckpt-99999.data-00000-of-00001").write_bytes(b"partial")
    restored, _, _ = load_run(run)
    for a, b in zip(model.trainable_variables, restored.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # And training can resume from it.
    init.set_seed(0)
    again = convnets.create_model("lenet5_modern", input_shape=(16, 16, 1))
    m = train(again, load_dataset("digits"), TrainConfig(epochs=3, batch_size=256), run, resume=True, progress=False, log=lambda s: None)
    assert m["epochs"] == 3


def test_corrupt_checkpoint_is_a_clear_error(finished_run):
    run, _ = finished_run
    latest = Path(convnets.train.checkpoint.latest_checkpoint(run))
    data = next(latest.parent.glob(latest.name + ".data-*"))
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(ConvnetsError, match="checkpoint"):
        load_run(run)
