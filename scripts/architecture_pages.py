"""Write docs/architectures/<family>.md and docs/index.md: one page per family,
in historical order, as a learning path.

    python scripts/architecture_pages.py

Each page puts a few paragraphs on what the paper introduced (``docs/prose/FAMILY.md``,
typed once) beside what is generated from the code: the family's title, paper and
year (its ``Family`` in the registry), the model file's own notes (its docstring:
the paper's table and every deviation), the layer-by-layer or stage-by-stage table
that ``convnets summary`` computes, the registered counts beside the published ones
and the measured results of the recipes (``docs/results.json``, written by
``scripts/results.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import numpy as np

import convnets
from convnets.compare import is_transfer
from convnets.layers import init, layer_outputs
from convnets.models import list_families, model_info
from convnets.models.registry import Family

sys.path.insert(0, str(Path(__file__).parent))
from model_table import macs_label, paper_macs_label, reference_label  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

PROSE = ROOT / "docs" / "prose"  # docs/prose/FAMILY.md: what the paper introduced, typed once per family


def prose(family: str) -> str:
    """The family's hand-written page text; a registered family without one is an error."""
    path = PROSE / f"{family}.md"
    if not path.is_file():
        raise SystemExit(f"no page text for family {family!r}: write {path}")
    return path.read_text().strip()


def stage_rows(model: convnets.Model) -> list[tuple[str, str, int, int]]:
    """``convnets summary`` rows grouped by their first name component (a stage or a layer).

    A group that is one block (a residual unit, a Fire or Inception module) shows the
    block's output shape: its last layer's can differ (a concatenation, an SE gate or a
    residual addition comes after it).
    """
    s = convnets.summarize(model)
    _, recorded = layer_outputs(model, np.zeros((1, *model.input_shape), np.float32))
    block_shapes = {r["name"]: r["output_shape"] for r in recorded if r.get("block") and "/" not in r["name"]}
    groups: dict[str, list[int]] = {}
    shapes: dict[str, str] = {}
    for row in s["layers"]:
        key = row["name"].split("/")[0]
        g = groups.setdefault(key, [0, 0])
        g[0] += row["params"]
        g[1] += row["macs"]
        shapes[key] = "x".join(map(str, block_shapes.get(key, row["output_shape"])))
    return [(k, shapes[k], p, m) for k, (p, m) in groups.items()]


def summary_table(name: str) -> list[str]:
    with init.zeros_only():
        model = convnets.create_model(name)
    s = convnets.summarize(model)
    rows = stage_rows(model)
    grouped = len(rows) < len(s["layers"])
    lines = [
        f"`convnets summary {name}`" + (" grouped by stage (the full per-layer table: run the command)" if grouped else "")
        + f", input {'x'.join(map(str, model.input_shape))}:",
        "",
        "| " + ("stage" if grouped else "layer") + " | output | params | MACs |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {k} | {shape} | {p:,} | {m:,} |" for k, shape, p, m in rows]
    lines += [f"| **total** | | **{s['trainable_params']:,}** | **{s['macs']:,}** |", ""]
    return lines


def counts_table(names: list[str]) -> list[str]:
    """The registry's facts for ``names`` (checked against the built models by tests/test_registry.py)."""
    lines = ["| model | input | trainable | total | MACs | paper params | paper MACs | reference |",
             "|---|---|---:|---:|---:|---|---|---|"]
    for name in names:
        info = model_info(name)
        lines.append(f"| `{name}` | {'x'.join(map(str, info.input_shape))} | {info.trainable_params:,} | "
                     f"{info.total_params:,} | {macs_label(info.macs)} | {info.paper_params or ('mini' if info.mini else '-')} | "
                     f"{paper_macs_label(info)} | {reference_label(info)} |")
    return lines + [""]


def results_table(names: list[str], results: list[dict]) -> list[str]:
    rows = [r for r in results if r["model"] in names and not is_transfer(r)]
    if not rows:
        return ["No recorded run yet for this family: `scripts/reproduce_results.sh` trains every recipe.", ""]
    lines = ["| model | data set | test accuracy | epochs | training seconds |", "|---|---|---:|---:|---:|"]
    lines += [f"| `{r['model']}` | {r['dataset']} | {r['accuracy']:.2%} | {r['epochs']} | {r['seconds']:.0f} |"
              for r in rows]
    return lines + ["", "Machine, recipes and every run: [results.md](../results.md)."]


PICTURES = [("curves", "training curves (`convnets plot`)"), ("confusion", "confusion matrix (`convnets plot`)"),
            ("mistakes", "the most confident mistakes (`convnets plot`)"), ("filters-C1", "C1's kernels (`convnets filters`)"),
            ("features-C1", "C1's feature maps of a 7 (`convnets features`)"),
            ("features-C3", "C3's feature maps (`convnets features --layer C3`)"),
            ("filters", "the first convolution's kernels (`convnets filters`)"),
            ("features", "the first convolution's feature maps of an ankle boot (`convnets features`)"),
            ("gradcam", "Grad-CAM for the predicted class at the last convolution (`convnets gradcam`)")]


def pictures(names: list[str]) -> list[str]:
    """The pictures in docs/images made from a recorded run of one of these models."""
    out = []
    for name in names:
        for kind, what in PICTURES:
            for path in sorted((ROOT / "docs" / "images").glob(f"{name}-*-{kind}.png")):
                data = path.stem[len(name) + 1:-len(kind) - 1]
                out.append(f"![{name} on {data}: {what}](../images/{path.name})")
    if not out:
        return []
    return ["", "## Pictures", "", "From the recorded run, made with the commands named (see the README's "
            "'Looking inside'):", ""] + [line + "\n" for line in out]


def receptive_field_plot(family: Family, path: Path) -> Path:
    """Receptive field (input pixels, log scale) against depth for the family's full model and mini:
    one point per convolution or pooling layer, in order, with each model's input size drawn across."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    for name, style in ((family.full, "-"), (family.mini, "--")):
        with init.zeros_only():
            model = convnets.create_model(name)
        s = convnets.summarize(model, fields=True)
        rows = [r for r in s["layers"] if len(r["output_shape"]) == 3 and not r.get("training_only")
                and any(k in r["type"] for k in ("Conv", "Pool", "Subsampling"))]
        line, = ax.plot(range(1, len(rows) + 1), [max(r["receptive_field"]) for r in rows], style, marker=".",
                        label=f"{name} ({'x'.join(map(str, model.input_shape[:2]))} input)")
        ax.axhline(model.input_shape[0], color=line.get_color(), linewidth=0.8, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("convolution or pooling layer, in order")
    ax.set_ylabel("receptive field (pixels)")
    ax.set_title(f"{family.title}: how far each layer sees (dotted: the input's size)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def diagram(family: Family, path: Path) -> Path:
    """The family's full network drawn from the code (``convnets draw``): its stages beside the first block of
    each kind opened up."""
    from convnets.viz import diagram as draw

    with init.zeros_only():
        model = convnets.create_model(family.full)
    return draw.save(draw.draw(model), path)


def diagram_picture(family: Family) -> list[str]:
    path = ROOT / "docs" / "images" / f"arch-{family.name}.svg"
    if not path.is_file():
        return []
    return ["## The network, drawn", "", f"`convnets draw {family.full} --out {path.name}` draws it from the code: the "
            "stages with their output shapes and parameters, and the first block of each kind opened up (its "
            "branches, shortcut, concatenation or gate). `--depth blocks` lists every block, `--depth layers` every "
            "layer.", "", f"![{family.title}: {family.full}, drawn by convnets draw](../images/{path.name})", ""]


def receptive_field_picture(family: Family) -> list[str]:
    path = ROOT / "docs" / "images" / f"rf-{family.name}.png"
    if not path.is_file():
        return []
    return ["## Receptive field against depth", "", "Each layer's receptive field (`convnets summary` computes it from "
            "the traced graph: the widest path counts where branches meet):", "",
            f"![{family.title}: receptive field against depth](../images/{path.name})", ""]


def page(family: Family, names: list[str], results: list[dict]) -> str:
    module = model_info(family.full).builder.__module__
    doc = importlib.import_module(module).__doc__ or ""
    paper = family.paper
    cite = f"{paper.authors}, {paper.title}" + (f" ([arXiv:{paper.arxiv}]({paper.url}))" if paper.arxiv else "")
    out = [f"# {family.title} ({family.year})", "", f"*{cite}*", "", "Generated by `python scripts/architecture_pages.py`; "
           "the tables come from the code.", "", "## What it introduced", "", prose(family.name), "",
           f"## From the code: `src/convnets/models/{module.rsplit('.', 1)[-1]}.py`", "", doc.strip(), ""]
    out += diagram_picture(family)
    out += ["## The full network", ""]
    out += summary_table(family.full)
    out += ["## The mini", ""]
    out += summary_table(family.mini)
    out += receptive_field_picture(family)
    out += ["## Every variant: exact counts beside the published figures", "",
            "Trainable as torchvision and the papers count; total adds BatchNorm moving statistics, as Keras counts.", ""]
    out += counts_table(names)
    out += ["## Measured", ""]
    out += results_table(names, results)
    out += pictures(names)
    return "\n".join(out) + "\n"


def index(families: list[Family]) -> str:
    lines = ["# A learning path through the classic convnets", "",
             "Generated by `python scripts/architecture_pages.py`. Read the families in the",
             "order they appeared: each answered a problem its predecessors left, and left an",
             "idea the next ones kept. Each page says what the paper introduced, shows its",
             "table as our code computes it, and what the mini reaches on a laptop CPU.", "",
             "| year | family | the problem it answered | the idea it left | page |", "|---|---|---|---|---|"]
    lines += [f"| {f.year} | {f.title} | {f.problem} | {f.idea} | [{f.name}.md](architectures/{f.name}.md) |"
              for f in families]
    lines += ["", "Alongside: [models.md](models.md) (every model's counts), [results.md](results.md) "
              "(measured accuracy), [benchmarks.md](benchmarks.md) and [time_to_accuracy.md](time_to_accuracy.md) "
              "(speed beside Keras and PyTorch), and the notebooks in `notebooks/` (in Portuguese in "
              "`notebooks/pt-BR/`, the same code; each is a page of this site):", "",
              "0. `00_tf1_to_tf2.ipynb`: the same LeNet-5 in TensorFlow 1.x style and as this project writes it, "
              "side by side",
              "1. `01_lenet5.ipynb`: LeNet-5 from the layers up, trained on MNIST",
              "2. `02_alexnet_to_vgg.ipynb`: depth and small kernels",
              "3. `03_residual.ipynb`: a plain net and a ResNet of the same depth side by side",
              "4. `04_mobilenet.ipynb`: depthwise separable convolutions, cost against accuracy as alpha changes",
              "5. `05_resnet_variants.ipynb`: wider, grouped, attended: ResNet-20 beside its pre-activation, wide, "
              "ResNeXt and SE forms on one budget",
              "6. `06_compound_scaling.ipynb`: EfficientNet's compound scaling applied to a mini and measured",
              "7. `07_modernising_a_resnet.ipynb`: the ConvNeXt roadmap (its Figure 2) applied step by step to a "
              "small ResNet",
              "8. `08_what_the_ops_compute.ipynb`: convolution by hand (loops, im2col, `tf.nn.conv2d`), stride, "
              "padding, dilation, groups, pooling's gradient, a backward pass by hand", ""]
    if (ROOT / "docs" / "images" / "compare.png").is_file():
        lines += ["## Accuracy against cost", "", "Drawn by `convnets compare --plot docs/images/compare.png`: the "
                  "published ImageNet top-1 of every full model against its MACs and parameters, and our minis' "
                  "measured accuracy against their training seconds on a 2-core CPU.", "",
                  "![accuracy against cost](images/compare.png)", ""]
    return "\n".join(lines)


def family_models(family: Family) -> list[str]:
    """The family's models in the order ``convnets list`` shows them."""
    from convnets.catalog import entries

    return [r["name"] for r in entries() if r["family"] == family.name]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = p.parse_args()
    results_path = args.docs / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else []
    (args.docs / "architectures").mkdir(parents=True, exist_ok=True)
    done = []
    for family in list_families():
        print(f"wrote {receptive_field_plot(family, args.docs / 'images' / f'rf-{family.name}.png')}")
        print(f"wrote {diagram(family, args.docs / 'images' / f'arch-{family.name}.svg')}")
        path = args.docs / "architectures" / f"{family.name}.md"
        path.write_text(page(family, family_models(family), results))
        done.append(family)
        print(f"wrote {path}")
    from convnets.compare import compare, load_results, plot

    print(f"wrote {plot(compare(None, load_results(results_path)), args.docs / 'images' / 'compare.png')}")
    (args.docs / "index.md").write_text(index(done))
    print(f"wrote {args.docs / 'index.md'}")


if __name__ == "__main__":
    main()
