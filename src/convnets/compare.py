"""Models side by side: the registry's facts (year, parameters, MACs, published ImageNet top-1) and our
measured results (``docs/results.json``), for ``convnets compare`` and its charts.

Reads only ``catalog.json`` and the results records, so it needs neither TensorFlow nor a built model.
The charts are the two classic ones, accuracy against cost: published top-1 against MACs and against
parameters for the full ImageNet models, and our minis' measured accuracy against training seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from convnets.catalog import entries, human
from convnets.errors import ConfigError, DataError

# docs/results.json of a source checkout (src/convnets/compare.py -> the repository's top folder)
RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results.json"
DATA_NAMES = {"fashion_mnist": "Fashion-MNIST", "folder:cifar10-jpeg": "CIFAR-10 folder", "mnist": "MNIST",
              "digits": "digits"}


def load_results(path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The measured runs' records (``scripts/results.py`` writes them); [] when there is no file."""
    path = Path(path) if path is not None else RESULTS
    if not path.is_file():
        if path != RESULTS:
            raise DataError(f"results file {path} does not exist")
        return []
    try:
        records = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{path} is not a results file (JSON: {e})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "model" in r for r in records):
        raise DataError(f"{path} is not a results file: expected a list of run records with a 'model'")
    return records


def is_transfer(record: dict[str, Any]) -> bool:
    """A run on a training subset or from another run's weights (results.md's transfer table), not a recipe's."""
    return bool(record.get("init_from") or record.get("train", {}).get("train_subset"))


def _precision(record: dict[str, Any]) -> str:
    return record.get("train", {}).get("precision", "float32")


def measured(records: list[dict[str, Any]], model: str) -> list[dict[str, Any]]:
    """``model``'s result per data set, mean accuracy and seconds over seeds (a seed run twice counts once, its
    latest run): the runs of its recipe as ``convnets.recipes`` has it today (its epochs, training settings,
    builder options and precision; "auto" met by either outcome), else its float32 runs at the longest run (a
    recipe changed since, or none)."""
    from convnets.recipes import ran_todays_recipe

    out = []
    runs = [r for r in records if r["model"] == model and not is_transfer(r)]
    for dataset in dict.fromkeys(r["dataset"] for r in runs):
        same = [r for r in runs if r["dataset"] == dataset]
        chosen = [r for r in same if ran_todays_recipe(model, dataset, r["epochs"], r.get("train", {}), _precision(r),
                                                       r.get("options", {}))]
        if not chosen:
            same = [r for r in same if _precision(r) == "float32"]
            if not same:
                continue
            epochs = max(r["epochs"] for r in same)
            chosen = [r for r in same if r["epochs"] == epochs]
        by_seed = {r.get("train", {}).get("seed", 0): r for r in chosen}  # records are in run order
        chosen = list(by_seed.values())
        out.append({"dataset": dataset, "epochs": chosen[0]["epochs"], "seeds": sorted(by_seed),
                    "precision": _precision(chosen[0]),
                    "accuracy": sum(r["accuracy"] for r in chosen) / len(chosen),
                    "seconds": sum(r["seconds"] for r in chosen) / len(chosen)})
    return out


def compare(patterns: list[str] | None = None, results: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per model matching ``patterns`` (names or shell patterns; none: every model), in
    ``convnets list``'s order: its registered facts, published top-1, and measured results."""
    rows = entries()
    if patterns:
        chosen = []
        for pattern in patterns:
            found = entries(pattern)
            if not found:
                from convnets.catalog import unknown_model

                raise unknown_model(pattern, [r["name"] for r in rows])
            chosen += [r["name"] for r in found]
        rows = [r for r in rows if r["name"] in set(chosen)]
    results = load_results() if results is None else results
    return [{"name": r["name"], "family": r["family_title"], "year": r["year"], "mini_of": r["mini_of"],
             "input_shape": r["input_shape"], "trainable_params": r["trainable_params"], "macs": r["macs"],
             "top1": r["top1"], "measured": measured(results, r["name"])} for r in rows]


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The comparison as an aligned text table."""
    head = ("model", "year", "input", "params", "MACs", "ImageNet top-1 (published)", "measured here")

    def result(m: dict[str, Any]) -> str:
        seeds = f", {len(m['seeds'])} seeds" if len(m["seeds"]) > 1 else ""
        bf16 = ", bfloat16" if m.get("precision") == "mixed_bfloat16" else ""
        return f"{DATA_NAMES.get(m['dataset'], m['dataset'])} {m['accuracy']:.2%} ({m['seconds']:,.0f} s{seeds}{bf16})"

    body = [(r["name"], str(r["year"]), "x".join(map(str, r["input_shape"])), human(r["trainable_params"]),
             human(r["macs"]), f"{r['top1'][0]:.1f}%" if r["top1"] else "-",
             "; ".join(result(m) for m in r["measured"]) or "-") for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w) if i in (0, 2, 5, 6) else c.rjust(w)  # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths))).rstrip()
    return "\n".join([fmt(head), *map(fmt, body)])


def plot(rows: list[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Accuracy against cost: published top-1 against MACs and against parameters (the full ImageNet
    models among ``rows``; marker area = parameters, colour = year), and the minis' measured accuracy
    against training seconds on this machine (one marker per data set)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"--plot {path}: give a .png, .svg or .pdf file")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    full = [r for r in rows if r["top1"]]
    minis = [(r, m) for r in rows for m in r["measured"] if r["mini_of"] or r["input_shape"][0] <= 32]
    if not full and not minis:
        raise ConfigError("nothing to plot: none of these models has a published top-1 or a measured run")
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), dpi=100)
    years = [r["year"] for r in full] or [0]
    for ax, key, label in ((axes[0], "macs", "multiply-accumulates per image"),
                           (axes[1], "trainable_params", "trainable parameters")):
        if full:
            points = ax.scatter([r[key] for r in full], [r["top1"][0] for r in full],
                                s=[20 + r["trainable_params"] / 4e5 for r in full], c=years, cmap="viridis",
                                alpha=0.75, edgecolors="k", linewidths=0.5)
            for r in full:
                ax.annotate(r["name"], (r[key], r["top1"][0]), fontsize=6.5, xytext=(3, 3), textcoords="offset points")
            fig.colorbar(points, ax=ax, label="year")
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} (log scale)")
        ax.set_ylabel("published ImageNet top-1 (%)")
        ax.set_title(f"ImageNet top-1 against {'MACs' if key == 'macs' else 'parameters'} (marker area: parameters)")
        ax.grid(True, which="both", alpha=0.3)
    ax = axes[2]
    for dataset, marker in (("fashion_mnist", "o"), ("folder:cifar10-jpeg", "s")):
        pts = [(r, m) for r, m in minis if m["dataset"] == dataset]
        if pts:
            ax.scatter([m["seconds"] for _, m in pts], [100 * m["accuracy"] for _, m in pts], marker=marker,
                       label=DATA_NAMES[dataset], alpha=0.8, edgecolors="k", linewidths=0.5)
            for r, m in pts:
                ax.annotate(r["name"], (m["seconds"], 100 * m["accuracy"]), fontsize=6.5, xytext=(3, 3),
                            textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("training seconds on this 2-core machine (log scale)")
    ax.set_ylabel("measured test accuracy (%)")
    ax.set_title("Our minis: accuracy against training time (docs/results.md)")
    ax.grid(True, alpha=0.3)
    if minis:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
