"""``--help``, ``list`` and usage mistakes never import TensorFlow (issue: 12-24 s start-up).

Timings live in benchmarks/startup.py; here only the cause is asserted: which modules load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import contextlib, io, json, sys
from convnets.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main({argv!r})
    except SystemExit as e:
        code = e.code
print(json.dumps({{"code": code, "tensorflow": "tensorflow" in sys.modules, "out": out.getvalue()}}))
"""


def probe(argv: list[str]) -> dict:
    r = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv,code", [(["--help"], 0), (["list"], 0), (["list", "--json"], 0),
                                       (["train", "--help"], 0), (["train", "lenet5", "--epochs", "many"], 2),
                                       (["frobnicate"], 2), (["train", "nosuchmodel"], 2),
                                       (["summary", "resnet2"], 2)])
def test_help_list_and_usage_mistakes_do_not_import_tensorflow(argv, code):
    r = probe(argv)
    assert r["code"] == code and r["tensorflow"] is False


def test_import_convnets_cli_does_not_import_tensorflow():
    r = subprocess.run([sys.executable, "-c", "import sys, convnets, convnets.cli; print('tensorflow' in sys.modules)"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


def test_list_json_comes_from_the_registry_without_building():
    rows = {r["name"]: r for r in json.loads(probe(["list", "--json"])["out"])}
    r = rows["resnet50"]
    assert (r["trainable_params"], r["total_params"], r["macs"]) == (25_557_032, 25_610_152, 3_857_973_248)
    assert r["family"] == "resnet" and r["year"] == 2015 and r["mini_of"] is None and "Deep Residual" in r["paper"]
    assert r["input_shape"] == [224, 224, 3] and r["num_classes"] == 1000
    assert rows["resnet20"]["mini"] is True


def test_list_fits_100_columns_in_natural_order():
    out = probe(["list"])["out"]
    assert max(len(line) for line in out.splitlines()) <= 100
    names = [line.split()[0] for line in out.splitlines() if line.startswith("resnet")]
    assert names[:5] == ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
    assert out.splitlines()[0].split() == ["model", "year", "input", "classes", "trainable", "MACs", "kind"]


def test_subpackages_load_on_first_access():
    """The lazy package still behaves like an eager one: ``convnets.layers.init`` after ``import convnets``."""
    code = ("import sys, convnets; before = 'tensorflow' in sys.modules; "
            "f = convnets.layers.init.set_seed; m = convnets.models.list_models; "
            "print(before, 'tensorflow' in sys.modules, callable(f), callable(m))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["False", "True", "True", "True"], r.stderr


def test_tensorflow_starts_without_keras_and_keras_still_loads_after():
    """TensorFlow's start imports Keras's optimizers when Keras is installed (2.5 s of 6); convnets
    declines that import while TensorFlow starts, and a later ``import keras`` works as usual."""
    code = ("import sys, convnets\n"
            "tf = convnets.import_tensorflow()\n"
            "before = sorted(m for m in sys.modules if m.split('.')[0] == 'keras')\n"
            "import keras\n"
            "m = keras.applications.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25)\n"
            "print(before, m.count_params(), tf.keras.layers.Dense.__module__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    before, count, dense = r.stdout.strip().splitlines()[-1].rsplit(" ", 2)
    assert before == "[]" and count == "475544" and dense.startswith("keras.")
