"""The generated docs are in step with the code: one architecture page per family,
and regenerating a page gives the committed file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

from convnets.models import list_families

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pages_script():
    return load_script("architecture_pages")


def test_every_family_has_a_page_in_the_learning_path(pages_script):
    """Every registered family has its prose, a generated page, and a row of the index, in year order."""
    families = list_families()
    index = (ROOT / "docs" / "index.md").read_text()
    for family in families:
        assert (ROOT / "docs" / "prose" / f"{family.name}.md").is_file(), f"write docs/prose/{family.name}.md"
        assert (ROOT / "docs" / "architectures" / f"{family.name}.md").is_file(), family.name
        assert f"architectures/{family.name}.md" in index
        assert family.problem and family.idea, f"{family.name}: its Family needs problem= and idea= (the path's row)"
        assert f"| {family.problem} | {family.idea} |" in index, family.name
    order = [line.split("|")[1].strip() for line in index.splitlines() if line.startswith("| 1") or line.startswith("| 2")]
    assert [int(y) for y in order] == sorted(f.year for f in families)


def test_a_family_without_prose_fails(pages_script, monkeypatch, tmp_path):
    monkeypatch.setattr(pages_script, "PROSE", tmp_path)
    with pytest.raises(SystemExit, match="no page text for family 'lenet'"):
        pages_script.prose("lenet")


@pytest.mark.parametrize("family", ["lenet", "alexnet"])
def test_pages_are_generated_from_the_code(pages_script, family):
    results = json.loads((ROOT / "docs" / "results.json").read_text())
    fam = next(f for f in list_families() if f.name == family)
    expected = pages_script.page(fam, pages_script.family_models(fam), results)
    assert (ROOT / "docs" / "architectures" / f"{family}.md").read_text() == expected, (
        "stale page: run python scripts/architecture_pages.py")


def test_models_table_and_readme_families_are_generated_from_the_registry():
    table = load_script("model_table")
    assert (ROOT / "docs" / "models.md").read_text() == table.models_md(), "run python scripts/model_table.py"
    readme = (ROOT / "README.md").read_text()
    assert table.family_table() in readme, "run python scripts/model_table.py --out docs/models.md --readme README.md"


def test_results_table_is_read_from_the_run(trained_run, tmp_path, monkeypatch):
    """scripts/results.py copies each run's own numbers and machine into docs/results.md."""
    import sys

    results_script = load_script("results")
    metrics = json.loads((trained_run / "metrics.json").read_text())
    out = tmp_path / "results.md"
    monkeypatch.setattr(sys, "argv", ["results.py", str(trained_run), str(tmp_path / "not-a-run"), "--out", str(out)])
    results_script.main()
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| lenet5 |"))
    assert f"| {metrics['test_accuracy']:.4f} |" in row and f"| {metrics['epochs']} |" in row
    assert f"{metrics['machine']['cores']} cores, TensorFlow {metrics['machine']['tensorflow']}" in text
    raw = json.loads(out.with_suffix(".json").read_text())
    assert [r["run"] for r in raw] == [trained_run.name] and raw[0]["accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_results_keep_earlier_records_when_given_only_new_runs(trained_run, tmp_path, monkeypatch):
    """Run directories stay on the machine that trained them: results.json keeps every
    record, so a later call with one new run adds it instead of dropping the rest;
    a run of the same name replaces its record, and --fresh starts over."""
    import shutil
    import sys

    results_script = load_script("results")
    out = tmp_path / "results.md"
    second = tmp_path / "lenet5-again"
    shutil.copytree(trained_run, second)

    def tabulate(*args: object) -> list[dict]:
        monkeypatch.setattr(sys, "argv", ["results.py", *map(str, args), "--out", str(out)])
        results_script.main()
        return json.loads(out.with_suffix(".json").read_text())

    assert [r["run"] for r in tabulate(trained_run)] == [trained_run.name]
    metrics = json.loads((second / "metrics.json").read_text())
    metrics["test_accuracy"] = 0.5
    (second / "metrics.json").write_text(json.dumps(metrics))
    records = tabulate(second)  # the first run's directory is not passed again: its record stays
    assert [r["run"] for r in records] == [trained_run.name, second.name]
    assert sum(line.startswith("| lenet5 |") for line in out.read_text().splitlines()) == 2
    metrics["test_accuracy"] = 0.75
    (second / "metrics.json").write_text(json.dumps(metrics))
    records = tabulate(second)  # same name: replaced, not added
    assert [r["accuracy"] for r in records][1:] == [0.75] and len(records) == 2
    assert tabulate() == records  # no runs: the kept records, retabulated
    assert [r["run"] for r in tabulate(second, "--fresh")] == [second.name]
    lines = out.read_text().splitlines()
    assert any("| 0.7500 |" in line for line in lines) and not any(line.endswith(f"| {trained_run.name} |") for line in lines)


def test_results_mark_seconds_of_a_run_resumed_without_its_epoch_time(trained_run, tmp_path, monkeypatch):
    """A run resumed after an epoch's last batch by an older version (a history row
    over 0 images) lost that epoch's time: its seconds are shown as a lower bound."""
    import shutil
    import sys

    import pandas as pd

    results_script = load_script("results")
    run = tmp_path / f"{trained_run.name}-resumed"
    shutil.copytree(trained_run, run)
    history = pd.read_csv(run / "history.csv")
    history.loc[0, ["loss", "accuracy", "images"]] = [0.0, 0.0, 0]
    history.to_csv(run / "history.csv", index=False)
    seconds = json.loads((run / "metrics.json").read_text())["train_seconds"]
    out = tmp_path / "results.md"
    monkeypatch.setattr(sys, "argv", ["results.py", str(trained_run), str(run), "--out", str(out)])
    results_script.main()
    rows = [line for line in out.read_text().splitlines() if line.startswith("| lenet5 |")]
    assert len(rows) == 2 and sum(f"| ≥{seconds:.0f} |" in row for row in rows) == 1
    assert "so its seconds are a lower bound" in out.read_text()


def test_readme_summary_marks_runs_short_of_their_target(tmp_path):
    import pandas as pd

    results_script = load_script("results")
    def settings(model, dataset, **changes):  # a record's training settings: the recipe's, with ``changes``
        recipe = results_script.recipe_for(model, dataset).to_dict()
        return {**{k: recipe[k] for k in results_script.RECIPE_KEYS if k != "ema"}, **changes}  # no ema: an old record

    epochs = results_script.recipe_for("lenet5", "mnist").epochs  # the recipe's: a run of other epochs is a variant
    import convnets

    params = convnets.create_model("lenet5", input_shape=(32, 32, 1)).trainable_params
    row = dict(model="lenet5", dataset="mnist", epochs=epochs, precision="float32", shape="32x32x1", seconds=700.0,
               options={}, at_least="", seed=0, train=settings("lenet5", "mnist"), n_params=params)
    digits_epochs = results_script.recipe_for("lenet5", "digits").epochs
    lr = row["train"]["lr"]
    table = pd.DataFrame([{**row, "accuracy": 0.9850},
                          {**row, "dataset": "digits", "epochs": digits_epochs, "accuracy": 0.9806,
                           "train": settings("lenet5", "digits")},
                          {**row, "epochs": 3, "accuracy": 0.98},
                          {**row, "options": {"dropout": 0.3}, "accuracy": 0.95},  # not the recipe: left out
                          {**row, "shape": "28x28x1", "accuracy": 0.96},  # another input shape: left out too
                          {**row, "train": settings("lenet5", "mnist", lr=lr * 2), "accuracy": 0.97},  # another rate
                          {**row, "train": settings("lenet5", "mnist", ema=0.999), "accuracy": 0.97},  # averaged
                          {**row, "n_params": params + 10, "accuracy": 0.97},  # an earlier design of the network
                          {**row, "epochs": 3, "precision": "mixed_float16", "accuracy": 0.9807, "seconds": 300.0}])
    lines = results_script.summary(table, pending=False).splitlines()
    assert len(lines) == 2 + 3  # the shortened float32 run is only the precision row's reference; the variants are out
    assert "98.50% (seed 0)" in lines[2] and lines[2].endswith("**short** on 1 of 1 seeds; seeds 1, 2 not run yet |")
    assert "98.06%" in lines[3] and "**short**" not in lines[3]
    assert "mixed_float16" in lines[4] and "float32, same epochs: 98.00% (700 s)" in lines[4]
    # A bfloat16 run at other settings than any float32 run's is a variant, not a precision comparison: not summarised.
    variant_bf16 = pd.concat([table, pd.DataFrame([{**row, "epochs": 3, "precision": "mixed_bfloat16", "accuracy": 0.97,
                                                    "train": settings("lenet5", "mnist", lr=lr * 3)}])])
    assert results_script.summary(variant_bf16, pending=False).splitlines() == lines
    pending = results_script.summary(table).splitlines()[5:]
    assert "| `lenet5` | MNIST |" not in "\n".join(pending)  # measured: not pending
    epochs = results_script.recipe_for("resnet20", "folder:cifar10-jpeg").epochs
    assert any(line.startswith(f"| `resnet20` | CIFAR-10 (JPEG folder) | {epochs} | not run yet |") for line in pending)
    assert "| `nin_mini` | CIFAR-10 (JPEG folder) | 12 | not run yet | - |  |" in pending  # measured, no target
    variant = results_script.summary(pd.DataFrame([{**row, "model": "nin_mini", "dataset": "folder:cifar10-jpeg",
                                                    "epochs": 5, "accuracy": 0.7}])).splitlines()
    assert "| `nin_mini` | CIFAR-10 (JPEG folder) | 12 | not run yet; 5-epoch variant: 70.00% | - |  |" in variant
    # Three seeds: the mean and the range, and a target met only if every seed meets it.
    digits = dict(row, dataset="digits", epochs=digits_epochs, train=settings("lenet5", "digits"))
    seeds = pd.DataFrame([{**digits, "accuracy": 0.98, "seconds": 10.0},
                          {**digits, "seed": 1, "accuracy": 0.975, "seconds": 12.0},
                          {**digits, "seed": 2, "accuracy": 0.965, "seconds": 14.0}])
    (two,) = results_script.summary(seeds[:2], pending=False).splitlines()[2:]
    assert two.endswith("; seed 2 not run yet |")
    (line,) = results_script.summary(seeds, pending=False).splitlines()[2:]
    assert "| 97.33% mean, 96.50%-98.00% (seeds 0, 1, 2) | 12 s mean |" in line
    assert line.endswith("**short** on 1 of 3 seeds |")
    # A time budget ("minutes, not hours"): a run over it is marked, as a short one is.
    fashion = dict(row, model="vgg_mini", dataset="fashion_mnist", epochs=results_script.recipe_for(
        "vgg_mini", "fashion_mnist").epochs, shape="28x28x1", train=settings("vgg_mini", "fashion_mnist"),
        n_params=convnets.create_model("vgg_mini", input_shape=(28, 28, 1)).trainable_params)
    assert results_script.BUDGETS["vgg_mini", "fashion_mnist"] == 300.0
    runs = pd.DataFrame([{**fashion, "seed": s, "accuracy": 0.92, "seconds": t} for s, t in enumerate((200, 290, 310))])
    (line,) = results_script.summary(runs, pending=False).splitlines()[2:]
    assert line.endswith("target 91% in at most 5 minutes **over 5 min** on 1 of 3 seeds |")
    (line,) = results_script.summary(runs[:2], pending=False).splitlines()[2:]
    assert "**over" not in line
    # A seed run again (here in bfloat16, which the recipe's precision "auto" allows) counts once: its latest run.
    again = pd.concat([runs, pd.DataFrame([{**fashion, "seed": 2, "accuracy": 0.93, "seconds": 150.0,
                                             "precision": "mixed_bfloat16"}])])
    (line,) = results_script.summary(again, pending=False).splitlines()[2:]
    assert "| 92.33% mean, 92.00%-93.00% (seeds 0, 1, 2) | 213 s mean |" in line and "**over" not in line
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{results_script.START}\nold table\n{results_script.END}\nrest\n")
    results_script.replace_between_markers(readme, "new table")
    assert readme.read_text() == f"intro\n{results_script.START}\nnew table\n{results_script.END}\nrest\n"


def test_requirements_txt_pins_exactly_pyprojects_dependencies():
    """requirements.txt (for `pip install -r`) names pyproject's dependencies, each pinned inside its range."""
    script = load_script("requirements")
    wanted = dict(script.split_requirement(r) for r in script.dependencies())
    lines = [l for l in (ROOT / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines[-1] == script.SELF  # convnets itself
    pins = dict(l.split("==") for l in lines[:-1])
    assert list(pins) == list(wanted), "stale requirements.txt: run python scripts/requirements.py"
    for name, version in pins.items():
        assert script.satisfies(version, wanted[name]), f"{name}=={version} is outside pyproject's {wanted[name]}"
    assert script.satisfies("2.21.0", ">=2.16,<2.22") and not script.satisfies("2.22.0", ">=2.16,<2.22")


def test_readme_synopsis_is_generated_from_the_parser():
    """The README's command synopsis lists every option of every command (scripts/readme_synopsis.py)."""
    script = load_script("readme_synopsis")
    assert script.current() == script.block(), "stale README synopsis: run python scripts/readme_synopsis.py"
    text = script.block()
    for needle in ("convnets train MODEL", "--input-shape H,W,C", "--num-classes N",
                   "convnets predict RUN_DIR IMAGE...", "[--json]", "evaluate RUN_DIR [--dataset NAME] [--data-dir DIR]",
                   "[--no-check]", "[--out PNG]"):
        assert needle in text, needle
    assert max(len(line) for line in text.splitlines()) <= 100
