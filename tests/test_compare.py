"""``convnets compare``: registered facts beside published and measured accuracy, without TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.image as mpimg
import pytest

from convnets.catalog import entries
from convnets.cli import main
from convnets.compare import compare, load_results, measured
from convnets.errors import ConfigError, DataError
from convnets.recipes import RECIPE_KEYS, recipe_for

RUNS = [
    {"model": "resnet20", "dataset": "fashion_mnist", "accuracy": 0.92, "epochs": 8, "seconds": 600.0,
     "train": {"seed": 0, "precision": "float32"}},
    {"model": "resnet20", "dataset": "fashion_mnist", "accuracy": 0.90, "epochs": 8, "seconds": 500.0,
     "train": {"seed": 1, "precision": "float32"}},
    {"model": "resnet20", "dataset": "fashion_mnist", "accuracy": 0.80, "epochs": 3, "seconds": 100.0,
     "train": {"seed": 0, "precision": "float32"}},  # a shorter variant: not the result
    {"model": "resnet20", "dataset": "fashion_mnist", "accuracy": 0.99, "epochs": 8, "seconds": 9.0,
     "train": {"seed": 0, "precision": "mixed_bfloat16"}},  # another precision: not the result either
]


def test_measured_is_the_longest_float32_run_over_its_seeds():
    """No run of today's recipe (ResNet-20's Fashion-MNIST recipe is 4 epochs in "auto" precision): the
    longest float32 runs stand for it."""
    assert recipe_for("resnet20", "fashion_mnist").epochs != 8
    (m,) = measured(RUNS, "resnet20")
    assert m == {"dataset": "fashion_mnist", "epochs": 8, "seeds": [0, 1], "precision": "float32",
                 "accuracy": pytest.approx(0.91), "seconds": 550.0}
    assert measured(RUNS, "vgg16") == []


def test_measured_prefers_todays_recipe_in_either_precision_auto_becomes():
    """Runs of the current recipe count whether "auto" became bfloat16 or float32; a seed run again counts once
    (its latest run); another precision, another rate or another builder option than the recipe's does not
    count, even at the recipe's epochs (MnasNet's mini once showed a 4e-3 variant's seed 0 for its 8e-3 recipe)."""
    recipe = recipe_for("resnet20", "fashion_mnist")
    assert recipe.precision == "auto"

    def run(acc: float, seed: int, precision: str, **changed: object) -> dict:
        train = {**{k: getattr(recipe, k) for k in RECIPE_KEYS}, "seed": seed, "precision": precision, **changed}
        return {"model": "resnet20", "dataset": "fashion_mnist", "accuracy": acc, "epochs": recipe.epochs,
                "seconds": 140.0, "train": train}

    records = [*RUNS, run(0.50, 0, "mixed_bfloat16"), run(0.92, 0, "mixed_bfloat16"), run(0.93, 1, "float32"),
               run(0.10, 2, "mixed_float16"), run(0.20, 2, "float32", lr=recipe.lr / 2),
               {**run(0.30, 2, "float32"), "options": {"width": 2}}]
    (m,) = measured(records, "resnet20")
    assert m["epochs"] == recipe.epochs and m["seeds"] == [0, 1] and m["accuracy"] == pytest.approx(0.925)


def test_compare_rows_carry_the_registry_facts(tmp_path, capsys):
    rows = compare(["resnet20", "vgg1?"], RUNS)
    names = [r["name"] for r in rows]
    assert names == [r["name"] for r in entries() if r["name"] in ("resnet20", "vgg11", "vgg13", "vgg16", "vgg19")]
    r20 = rows[names.index("resnet20")]
    assert (r20["trainable_params"], r20["macs"], r20["year"]) == (269_722, 40_551_040, 2015)
    assert r20["measured"][0]["accuracy"] == pytest.approx(0.91)
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(RUNS))
    assert main(["compare", "resnet20", "--results", str(path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["model", "year", "input"]
    assert "Fashion-MNIST 91.00% (550 s, 2 seeds)" in table[1]
    assert main(["compare", "resnet20", "vgg16", "--json", "--results", str(path)]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["vgg16", "resnet20"]  # list's order


def test_compare_plot_is_drawn(tmp_path, capsys):
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(RUNS))
    assert main(["compare", "--plot", str(tmp_path / "c.png"), "--results", str(path)]) == 0
    img = mpimg.imread(tmp_path / "c.png")
    assert img.shape[1] > 1000 and img[..., :3].std() > 0.05


def test_compare_mistakes_are_ours(tmp_path, capsys):
    with pytest.raises(ConfigError, match="unknown model 'resnet9000'"):
        compare(["resnet9000"], [])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not a results file"):
        load_results(bad)
    with pytest.raises(DataError, match="does not exist"):
        load_results(tmp_path / "missing.json")
    assert main(["compare", "lenet5", "--plot", str(tmp_path / "c.jpg"), "--results", str(bad.with_name("x"))]) == 2
    assert "does not exist" in capsys.readouterr().err
    good = tmp_path / "runs.json"
    good.write_text(json.dumps(RUNS))
    assert main(["compare", "lenet5", "--plot", str(tmp_path / "c.jpg"), "--results", str(good)]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err


def test_compare_does_not_import_tensorflow():
    code = "import sys; from convnets.cli import main; main(['compare', 'resnet*']); print('tensorflow' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"
