"""Collect finished run directories into the results tables.

    python scripts/results.py runs/*/ --out docs/results.md --readme README.md

Every number comes from the runs' own ``metrics.json``, ``history.csv`` and
``config.json``; nothing is typed by hand. Each run becomes one record (its
numbers, recipe and machine) in ``results.json`` beside ``--out``, which keeps
the records of earlier runs: run directories live on the machine that trained
them, so a later call with only new runs adds them (a run of the same
directory name replaces its record) rather than dropping the rest; ``--fresh``
starts over. ``--readme`` rewrites the summary between ``<!-- results:start -->``
and ``<!-- results:end -->``: each full-recipe run beside its target
(``convnets.recipes.TARGETS``), marked **short** when it falls below it.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from convnets.compare import is_transfer
from convnets.layers import init
from convnets.machine import describe, machine_info
from convnets.models import create_model, model_info
from convnets.recipes import (
    BUDGETS,
    CIFAR_FOLDER,
    COMPARISON_RECIPE,
    RECIPE_KEYS,
    RESNET20_VARIANTS,
    RESULTS,
    TARGETS,
    comparison_flags,
    model_options_for,
    ran_todays_recipe,
    recipe_for,
    same_settings,
)
from convnets.train.checkpoint import evaluated_on, read_history, untimed_epochs
from convnets.train.config import ran_as_asked

DATA_NAMES = {"digits": "digits (bundled)", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST",
              "folder:cifar10-jpeg": "CIFAR-10 (JPEG folder)"}
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _dataset_label(name: str) -> str:
    """``folder:/long/path/cifar10-jpeg`` -> ``folder:cifar10-jpeg``."""
    return f"folder:{Path(name[7:]).name}" if name.startswith("folder:") else name


def markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def _shape_label(shape: Any) -> str:
    """(32, 32, 3) -> "32x32x3": how tables show an input shape, and how runs are matched on it."""
    return "x".join(map(str, shape))


TRAIN_KEYS = (*RECIPE_KEYS, "precision", "seed", "train_subset", "freeze", "head_lr_factor")  # what a record keeps
SEEDS = (0, 1, 2)  # a result is a claim about a recipe, not a seed: every recipe is run on these


def record(run_dir: Path) -> dict[str, Any] | None:
    """A finished run's numbers (``metrics.json``, ``config.json``, ``history.csv``) as one
    JSON-ready record, the form ``docs/results.json`` keeps them in; None if unfinished."""
    mpath, cpath = run_dir / "metrics.json", run_dir / "config.json"
    if not (mpath.is_file() and cpath.is_file()):
        return None
    m, c = json.loads(mpath.read_text()), json.loads(cpath.read_text())
    hist = read_history(run_dir) if (run_dir / "history.csv").is_file() else None
    return {
        "model": m["model"], "dataset": _dataset_label(m["dataset"]), "accuracy": m["test_accuracy"],
        "epochs": m["epochs"], "seconds": m["train_seconds"], "run": run_dir.name,
        "params": m["trainable_params"], "images_per_second": m["images_per_second"],
        # the best epoch's test accuracy; with --val-split the curves never saw the test set
        "best_accuracy": float(hist["val_accuracy"].max()) if hist is not None and evaluated_on(hist) == "test set" else None,
        "seconds_lower_bound": hist is not None and bool(untimed_epochs(hist).any()),
        # --tta: the final test with test-time augmentation too, beside (never instead of) the plain accuracy
        **({"tta": m["tta"], "accuracy_tta": m["test_accuracy_tta"]} if "test_accuracy_tta" in m else {}),
        "train": {k: c["train"][k] for k in TRAIN_KEYS if k in c["train"]},
        # --init-from: what the weights came from (the source run's model and data), while it is on this machine
        "init_from": _source_of(c["train"].get("init_from")),
        "options": c["model"].get("options", {}),  # builder options, e.g. dropout 0.2
        "shape": _shape_label(c["model"]["input_shape"]),
        # runs made before metrics.json kept the machine: this machine
        "machine": describe(m["machine"] if "machine" in m else machine_info()),
    }


def _source_of(init_from: str | None) -> str | None:
    if not init_from:
        return None
    path = Path(init_from) / "config.json"
    if not path.is_file():
        return Path(init_from).name
    c = json.loads(path.read_text())
    data = _dataset_label(c.get("dataset") or "")
    what = f"{c['model']['name']} trained on {DATA_NAMES.get(data, data)}"
    metrics = Path(init_from) / "metrics.json"
    if metrics.is_file():  # what the source reached on its own data
        m = json.loads(metrics.read_text())
        what += f" ({m['epochs']} epochs, {m['test_accuracy']:.2%} there)"
    return what


def merge(kept: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kept records with ``new`` ones added; a new record replaces a kept one of the same run name."""
    by_run = {r["run"]: r for r in kept}
    by_run.update({r["run"]: r for r in new})
    return list(by_run.values())


def table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One display row per record, with the raw values the README summary needs beside them."""
    rows = []
    for r in records:
        if is_transfer(r):
            continue  # tabulated by transfer()
        t = r["train"]
        recipe = f"{t['optimizer']} lr {t['lr']:g}, {t['schedule']}, batch {t['batch_size']}"
        if t.get("weight_decay"):
            recipe += f", wd {t['weight_decay']:g}"
        if t.get("warmup_epochs"):
            recipe += f", warm-up {t['warmup_epochs']:g} epoch"
        if t.get("label_smoothing"):
            recipe += f", label smoothing {t['label_smoothing']:g}"
        if t.get("augment", "none") != "none":
            recipe += f", augment {t['augment']}"
        if t.get("ema"):
            recipe += f", weight average {t['ema']:g}"
        if t.get("precision", "float32") != "float32":
            recipe += f", {t['precision']}"
        for key, value in r["options"].items():
            recipe += f", {key} {value}"
        at_least = "≥" if r["seconds_lower_bound"] else ""
        best = r["best_accuracy"]
        rows.append({
            "model": r["model"], "dataset": r["dataset"], "seed": t.get("seed", 0), "params": f"{r['params']:,}",
            "epochs": r["epochs"],
            "test accuracy": f"{r['accuracy']:.4f}", "best epoch accuracy": "" if best is None else f"{best:.4f}",
            "with flip TTA": f"{r['accuracy_tta']:.4f}" if "accuracy_tta" in r else "",
            "train seconds": f"{at_least}{r['seconds']:.0f}", "images/s": f"{r['images_per_second']:.0f}",
            "recipe": recipe, "run": r["run"], "machine": r["machine"],
            # raw values, for the README summary
            "accuracy": r["accuracy"], "seconds": r["seconds"], "at_least": at_least,
            "precision": t.get("precision", "float32"), "shape": r["shape"], "options": r["options"], "train": t,
            "n_params": r["params"],
        })
    return pd.DataFrame(rows)


def _is_recipe_run(r: Any) -> bool:
    """Whether a run is the recipe's own: its epochs, training settings, precision, builder options and
    input shape all match (config.json keeps the input shape apart from the other options)."""
    shape = model_options_for(r.model, r.dataset).get("input_shape") or model_info(r.model).input_shape
    return (ran_todays_recipe(r.model, r.dataset, r.epochs, r.train, r.precision, r.options)
            and r.shape == _shape_label(shape)
            and r.n_params == _params_now(r.model, r.shape, json.dumps(r.options, sort_keys=True)))


@functools.lru_cache(maxsize=None)
def _params_now(model: str, shape: str, options: str) -> int:
    """The model's trainable parameters as the code builds it today, at a record's input shape: a record
    of an earlier design of the network (another count) is not a run of today's recipe."""
    with init.zeros_only():
        return create_model(model, input_shape=shape.replace("x", ","), **json.loads(options)).trainable_params


def _float32_runs(table: pd.DataFrame, model: str, dataset: str) -> pd.DataFrame:
    """The float32 runs of ``model`` on ``dataset``: a precision row's reference, or an earlier recipe's run."""
    return table[(table.model == model) & (table.dataset == dataset) & (table.precision == "float32")]


def _over_seeds(runs: pd.DataFrame) -> str:
    """A recipe's accuracy over its seeds: the one number, or the mean with the lowest and highest."""
    seeds = ", ".join(str(s) for s in sorted(runs.seed))
    if len(runs) == 1:
        return f"{runs.accuracy.iloc[0]:.2%} (seed {seeds})"
    return (f"{runs.accuracy.mean():.2%} mean, {runs.accuracy.min():.2%}-{runs.accuracy.max():.2%} "
            f"(seeds {seeds})")


def summary(table: pd.DataFrame, pending: bool = True) -> str:
    """The README's table: full-recipe runs against their targets (over seeds 0, 1 and 2: the target is
    met only if every seed meets it), precision comparisons, and (``pending``) a row for every one of
    ``recipes.RESULTS`` no run has measured yet."""
    done: set[tuple[str, str]] = set()
    lines = ["| model | data | epochs | test accuracy | training time | paper / target |", "| --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples(index=False):
        data = f"{DATA_NAMES.get(r.dataset, r.dataset)} ({r.shape})"
        if r.precision != "float32" and not _is_recipe_run(r):
            ref = _float32_runs(table, r.model, r.dataset)
            ref = ref[(ref.epochs == r.epochs) & (ref.seed == r.seed)]
            # the same settings and builder options but the precision, if such a run exists
            same = [x.options == r.options and same_settings(x.train, r.train)
                    for x in ref.itertuples(index=False)]
            if not any(same):
                continue  # not a precision comparison but a variant of the recipe: docs/results.md's full table has it
            ref = ref[same]
            note = f"float32, same epochs: {ref.accuracy.iloc[0]:.2%} ({ref.seconds.iloc[0]:,.0f} s)"
            lines.append(f"| `{r.model}`, {r.precision} | {data} | {r.epochs} | {r.accuracy:.2%} | "
                         f"{r.at_least}{r.seconds:,.0f} s | {note} |")
            continue
        if (r.model, r.dataset) in done or not _is_recipe_run(r):
            continue  # a seed already summarised, a shortened float32 run, or a variant of the recipe
        runs = table[(table.model == r.model) & (table.dataset == r.dataset)]
        runs = runs[[_is_recipe_run(x) for x in runs.itertuples(index=False)]]
        # A seed run again (a faster machine, code or precision: "auto" is float32 on one CPU and bfloat16 on
        # another) counts once, its latest run; the earlier ones stay in docs/results.md's full table.
        runs = runs.drop_duplicates("seed", keep="last")
        target, source = TARGETS.get((r.model, r.dataset), (None, ""))
        note = source
        if target is not None and (runs.accuracy < target).any():
            note += f" **short** on {(runs.accuracy < target).sum()} of {len(runs)} seeds"
        budget = BUDGETS.get((r.model, r.dataset))
        if budget is not None and (runs.seconds > budget).any():
            note += f" **over {budget / 60:g} min** on {(runs.seconds > budget).sum()} of {len(runs)} seeds"
        missing = [s for s in SEEDS if s not in set(runs.seed)]
        if missing:
            seeds = f"seed{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))}"
            note = "; ".join(filter(None, [note, f"{seeds} not run yet"]))
        seconds = f"{runs.seconds.mean():,.0f} s" + (" mean" if len(runs) > 1 else "")
        lines.append(f"| `{r.model}` | {data} | {r.epochs} | {_over_seeds(runs)} | {r.at_least}{seconds} | {note} |")
        done.add((r.model, r.dataset))
    for model, dataset in RESULTS if pending else ():
        if (model, dataset) not in done:
            # a recipe changed after a run of the old one: say what that run measured
            other = _float32_runs(table, model, dataset)
            last = None if other.empty else other.loc[other.epochs.idxmax()]
            earlier = "" if last is None else f"; {last.epochs}-epoch variant: {last.accuracy:.2%}"
            lines.append(f"| `{model}` | {DATA_NAMES.get(dataset, dataset)} | {recipe_for(model, dataset).epochs} "
                         f"| not run yet{earlier} | - | {TARGETS.get((model, dataset), (None, ''))[1]} |")
    return "\n".join(lines)


def _ran_recipe(r: dict[str, Any], settings: dict[str, Any]) -> bool:
    """Whether a record's run used ``settings``' epochs, training settings and precision (float32 unless
    ``settings`` say)."""
    t = r["train"]
    return (ran_as_asked(t.get("precision", "float32"), settings.get("precision", "float32"))
            and r["epochs"] == settings["epochs"]
            and same_settings(t, settings, tuple(k for k in settings if k in RECIPE_KEYS)))


def comparison(records: list[dict[str, Any]]) -> str:
    """ResNet-20 beside its variants (``recipes.RESNET20_VARIANTS``) on the CIFAR-10 folder, all with
    ``recipes.COMPARISON_RECIPE``: each model's mean over its seeds, and the change against ResNet-20."""
    lines = ["| model | what changed | params | MACs (32x32) | test accuracy | vs resnet20 | train seconds | images/s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    base = None
    for model, change in RESNET20_VARIANTS:
        runs = [r for r in records if r["model"] == model and r["dataset"] == CIFAR_FOLDER and r["shape"] == "32x32x3"
                and _ran_recipe(r, COMPARISON_RECIPE)]
        macs = f"{model_info(model).macs / 1e6:.1f} M"
        if not runs:
            lines.append(f"| `{model}` | {change} | {model_info(model).trainable_params:,} | {macs} | not run yet | | | |")
            continue
        acc = sum(r["accuracy"] for r in runs) / len(runs)
        seeds = ", ".join(str(r["train"].get("seed", 0)) for r in runs)
        base = acc if model == "resnet20" else base
        delta = "" if base is None or model == "resnet20" else f"{(acc - base) * 100:+.2f} points"
        seconds = sum(r["seconds"] for r in runs) / len(runs)
        ips = sum(r["images_per_second"] for r in runs) / len(runs)
        lines.append(f"| `{model}` | {change} | {runs[0]['params']:,} | {macs} | {acc:.2%} (seed{'s' if len(runs) > 1 else ''} "
                     f"{seeds}) | {delta} | {seconds:,.0f} | {ips:,.0f} |")
    recipe = ", ".join(f"{k} {v}" for k, v in COMPARISON_RECIPE.items())
    return (f"## ResNet-20 and four changes to its unit, one recipe\n\nOn the CIFAR-10 folder (32x32x3), each with "
            f"the same recipe ({recipe}; `convnets train resnet20 {' '.join(comparison_flags())}`, the others' own "
            "recipe). Seconds and images/s vary with the machine's load; compare them within one session's runs.\n\n"
            + "\n".join(lines) + "\n")


def transfer(records: list[dict[str, Any]]) -> str:
    """Runs on a training subset, from scratch beside fine-tuned from another run's weights, each the mean
    over its seeds; empty when there are none."""
    runs = [r for r in records if is_transfer(r)]
    if not runs:
        return ""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in runs:
        t = r["train"]
        start = "from scratch" if not r.get("init_from") else f"from {r['init_from']}"
        if t.get("freeze", "none") != "none":
            start += f", frozen: {t['freeze']}"
        key = (r["model"], r["dataset"], r["shape"], t.get("train_subset"), r["epochs"], start)
        groups.setdefault(key, []).append(r)
    lines = ["| model | data (input) | training images | epochs | start | test accuracy | train seconds |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for (model, dataset, shape, subset, epochs, start), rs in sorted(groups.items(), key=lambda kv: kv[0]):
        accs = [r["accuracy"] for r in rs]
        seeds = ", ".join(str(r["train"].get("seed", 0)) for r in rs)
        acc = (f"{accs[0]:.2%} (seed {seeds})" if len(rs) == 1 else
               f"{sum(accs) / len(accs):.2%} mean, {min(accs):.2%}-{max(accs):.2%} (seeds {seeds})")
        seconds = sum(r["seconds"] for r in rs) / len(rs)
        lines.append(f"| `{model}` | {DATA_NAMES.get(dataset, dataset)} ({shape}) | {subset or 'all':,} | {epochs} | "
                     f"{start} | {acc} | {seconds:,.0f} |")
    return ("## Pre-trained against from scratch, with little data\n\nThe same network, recipe and training "
            "images, started from random weights or from a run on another data set (`--init-from`; "
            "`--train-subset N` draws the same N images for every seed; the README's \"Fine-tune on your own images\").\n\n"
            + "\n".join(lines) + "\n")


def replace_between_markers(path: Path, text: str) -> None:
    doc = path.read_text()
    if START not in doc or END not in doc:
        raise SystemExit(f"{path}: no {START} ... {END} markers to write the results between")
    head, rest = doc.split(START, 1)
    path.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="*", type=Path, help="run directories (none: retabulate the kept records)")
    p.add_argument("--out", type=Path)
    p.add_argument("--readme", type=Path, help="also rewrite the summary table in this file")
    p.add_argument("--note", default=(Path(__file__).parent / "results-note.txt").read_text().strip(),
                   help="a sentence on how the runs were made (default: scripts/results-note.txt)")
    p.add_argument("--fresh", action="store_true",
                   help="forget the records kept beside --out; tabulate only the runs given")
    args = p.parse_args()
    new = [r for r in map(record, args.runs) if r is not None]
    names = [r["run"] for r in new]
    if len(set(names)) < len(names):  # a run's record is known by its directory's name
        raise SystemExit(f"two run directories with the same name among {sorted({n for n in names if names.count(n) > 1})}: "
                         "rename one")
    archive = args.out.with_suffix(".json") if args.out else None
    kept = json.loads(archive.read_text()) if archive is not None and archive.is_file() and not args.fresh else []
    records = merge(kept, new)
    if not records:
        raise SystemExit("no finished runs (directories with metrics.json and config.json) among the arguments")
    if archive is not None:  # every record, for the next run of this script and for scripts/architecture_pages.py
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    rows = table(records)
    if args.readme:
        replace_between_markers(args.readme, summary(rows))
    shown = rows.drop(columns=["accuracy", "seconds", "at_least", "precision", "shape", "options", "train", "n_params"])
    machines = shown["machine"].unique()
    if len(machines) == 1:  # one machine: say it once, above the table
        shown = shown.drop(columns=["machine"])
    text = (
        "# Results\n\nGenerated by `python scripts/results.py` from run directories (their records are kept "
        "in results.json); do not edit by hand.\n\n"
        f"Machine: {'; '.join(machines)}\n\n" + (f"{args.note}\n\n" if args.note else "") + markdown(shown) + "\n"
    )
    text += "\n" + comparison(records)
    if transfer(records):
        text += "\n" + transfer(records)
    if rows["at_least"].any():
        text += ("\n≥: the run was stopped after an epoch's last batch and resumed by a version that did not yet "
                 "keep the interrupted epoch's time (partial_epoch.json), so its seconds are a lower bound.\n")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
