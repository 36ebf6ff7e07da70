"""Write docs/architectures/<family>.md and docs/index.md: one page per family,
in historical order, as a learning path.

    python scripts/architecture_pages.py

Each page puts a few paragraphs on what the paper introduced (typed here, once)
beside what is generated from the code: the model file's own notes (its
docstring: the paper's table and every deviation), the layer-by-layer or
stage-by-stage table that ``convnets summary`` computes, the exact counts beside
the published ones (``scripts/model_table.py``'s sources) and the measured
results of the recipes (``docs/results.json``, written by ``scripts/results.py``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import convnets
from convnets.layers import init
from convnets.models import model_info

sys.path.insert(0, str(Path(__file__).parent))
from model_table import PUBLISHED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# family -> (title, year, paper, module, the model whose table we print, its mini, what it introduced)
FAMILIES = {
    "lenet": ("LeNet-5", 1998, "LeCun, Bottou, Bengio & Haffner, Gradient-Based Learning Applied to Document Recognition",
              "lenet", "lenet5", "lenet5_modern", """\
LeNet-5 is where the pattern every later network follows was first put together:
convolutions with shared weights that look at small neighbourhoods, subsampling
that trades resolution for invariance, several such stages that build features
of features, and a classifier on top, all trained end to end by back-propagation.
Sharing weights made the network small (60,000 parameters for 340,000
connections) and so trainable on the data of the 1990s; it read a large share
of the cheques in the United States.

Look for: the C3 layer's partial connection table (Table I), the trainable
subsampling layers S2 and S4 (an average times a learned coefficient plus a
bias), and the scaled tanh `1.7159 tanh(2x/3)`."""),
    "alexnet": ("AlexNet", 2012, "Krizhevsky, Sutskever & Hinton, ImageNet Classification with Deep Convolutional Neural Networks",
                "alexnet", "alexnet", "alexnet_mini", """\
AlexNet won ILSVRC 2012 by a margin (15.3% top-5 error against 26.2%) and
started the deep-learning era in vision. The architecture is LeNet scaled up,
but the paper's lessons are about making that trainable: ReLU instead of tanh
(six times faster to train, Fig. 1), dropout in the dense layers, data
augmentation, overlapping max pooling, local response normalisation, and the
split of the network over two GPUs of 3 GB each (the two groups of conv2, conv4
and conv5, which see only their own half of the previous layer).

Look for: `groups=2` in conv2/4/5, the LRN layers, 3x3 pooling with stride 2,
and where the 60 million parameters are (the dense layers hold 94% of them)."""),
    "nin": ("Network in Network", 2013, "Lin, Chen & Yan, Network In Network",
            "nin", "nin", "nin_mini", """\
Network in Network replaced the linear filter of a convolution with a small
multilayer perceptron applied at every position (an "mlpconv" layer: a
convolution followed by 1x1 convolutions), and replaced the dense classifier by
global average pooling of one feature map per class. Both ideas stayed: 1x1
convolutions are the bottlenecks of GoogLeNet, ResNet, DenseNet and MobileNet,
and global average pooling is the head of nearly every network since.

Look for: the 1x1 convolutions after each spatial convolution, and the absence
of any dense layer: the last convolution has one channel per class."""),
    "vgg": ("VGG", 2014, "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition",
            "vgg", "vgg16", "vgg_mini", """\
VGG asked one question, how far does depth go, and held everything else
fixed: only 3x3 convolutions (two of them see what one 5x5 sees, with fewer
parameters and one more non-linearity; three replace a 7x7), width doubling
after each 2x2 pooling, and configurations from 11 to 19 weight layers. Depth
won: the 16- and 19-layer networks came second in ILSVRC 2014 and became the
standard feature extractor for years (style transfer, detection backbones).

Look for: Table 1 as data at the top of the file, and how the parameter count
barely moves from VGG-11 to VGG-19 while the compute more than doubles."""),
    "googlenet": ("GoogLeNet (Inception v1)", 2014, "Szegedy et al., Going Deeper with Convolutions",
                  "googlenet", "googlenet", "googlenet_mini", """\
GoogLeNet won ILSVRC 2014 with 12 times fewer parameters than AlexNet. Its
inception module runs 1x1, 3x3 and 5x5 convolutions and a pooling side by side
and concatenates them, letting the network choose the scale; 1x1 convolutions
reduce the channels before the expensive 3x3 and 5x5 ones, which keeps a
22-layer network at about 1.5 billion multiply-adds. Two auxiliary classifiers
on intermediate layers add gradient signal during training and are dropped for
inference.

Look for: the nine inception modules of Table 1 as rows of data, and the
auxiliary heads that exist only when `training=True` (their loss weighted 0.3)."""),
    "resnet": ("ResNet", 2015, "He, Zhang, Ren & Sun, Deep Residual Learning for Image Recognition",
               "resnet", "resnet50", "resnet20", """\
Deeper plain networks trained worse, not just tested worse (the degradation
problem, Fig. 1). ResNet's answer is to let each block learn a residual
`F(x)` added to its input `x`: an identity is then the easy default, and
gradients reach early layers through the shortcuts. With it, 152 layers trained
well and won ILSVRC 2015 (3.57% top-5); on CIFAR-10 the paper trained 110 and
1202 layers. Batch normalisation after every convolution is part of the recipe.

Look for: Table 1 as data (blocks per stage for 18 to 152 layers), the basic
(two 3x3) and bottleneck (1x1-3x3-1x1) blocks, projection shortcuts where the
shape changes, and the CIFAR networks of Sec. 4.2 with option A (zero-padded
identity) shortcuts. Notebook 03 trains a plain net and a ResNet side by side."""),
    "densenet": ("DenseNet", 2016, "Huang, Liu, van der Maaten & Weinberger, Densely Connected Convolutional Networks",
                 "densenet", "densenet121", "densenet_mini", """\
DenseNet takes the shortcut idea to its limit: inside a dense block every layer
receives the feature maps of all the layers before it, concatenated, and adds
only k new ones (the growth rate, 12 to 32). Features are reused rather than
relearned, so the network is narrow and parameter-efficient: DenseNet-121 matches
ResNet-50's accuracy with 8 million parameters instead of 25. Bottleneck 1x1
convolutions and transition layers that halve the channels (compression 0.5)
make DenseNet-BC.

Look for: the concatenation in each dense layer, the transition layers between
blocks, and how the channel count grows by k per layer."""),
    "mobilenet": ("MobileNet v1 and v2", 2017, "Howard et al., MobileNets (2017); Sandler et al., MobileNetV2 (2018)",
                  "mobilenet", "mobilenet_v1", "mobilenet_v1_mini", """\
MobileNet factorises a standard convolution into a depthwise 3x3 convolution
(one filter per channel) and a pointwise 1x1 convolution that mixes channels:
8 to 9 times fewer multiply-adds for a small loss of accuracy (Sec. 3.1). Two
knobs trade accuracy for cost: the width multiplier alpha and the input
resolution (Tables 6 and 7). MobileNet v2 adds the inverted residual block:
expand the channels with a 1x1 convolution, filter with a depthwise 3x3,
project back down with a linear (no ReLU) 1x1, and add a shortcut between the
narrow ends.

Look for: `DepthwiseConv2D`, the alpha multiplier applied to every width, and
in v2 the expansion factor 6 and the linear bottleneck. Notebook 04 measures
cost against accuracy as alpha changes."""),
}


def stage_rows(model: convnets.Model) -> list[tuple[str, str, int, int]]:
    """``convnets summary`` rows grouped by their first name component (a stage or a layer)."""
    s = convnets.summarize(model)
    groups: dict[str, list[int]] = {}
    shapes: dict[str, str] = {}
    for row in s["layers"]:
        key = row["name"].split("/")[0]
        g = groups.setdefault(key, [0, 0])
        g[0] += row["params"]
        g[1] += row["macs"]
        shapes[key] = "x".join(map(str, row["output_shape"]))
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


def natural(name: str) -> tuple:
    """resnet18 < resnet20 < resnet101: compare the digits as numbers."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def counts_table(names: list[str]) -> list[str]:
    lines = ["| model | input | trainable | total | MACs | paper params | paper MACs | reference |",
             "|---|---|---:|---:|---:|---|---|---|"]
    for name in sorted(names, key=natural):
        with init.zeros_only():
            m = convnets.create_model(name)
        macs = convnets.summarize(m)["macs"]
        paper, paper_macs, ref, _ = PUBLISHED.get(name, ("mini", "-", "-", ""))
        macs_s = f"{macs / 1e9:.3f} G" if macs >= 1e9 else f"{macs / 1e6:.1f} M"
        lines.append(f"| `{name}` | {'x'.join(map(str, m.input_shape))} | {m.trainable_params:,} | "
                     f"{m.total_params:,} | {macs_s} | {paper} | {paper_macs} | {ref} |")
    return lines + [""]


def results_table(names: list[str], results: list[dict]) -> list[str]:
    rows = [r for r in results if r["model"] in names]
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


def page(family: str, names: list[str], results: list[dict]) -> str:
    title, year, paper, module, full, mini, intro = FAMILIES[family]
    doc = importlib.import_module(f"convnets.models.{module}").__doc__ or ""
    out = [f"# {title} ({year})", "", f"*{paper}*", "", "Generated by `python scripts/architecture_pages.py`; "
           "the tables come from the code.", "", "## What it introduced", "", intro, "",
           f"## From the code: `src/convnets/models/{module}.py`", "", doc.strip(), "",
           "## The full network", ""]
    out += summary_table(full)
    out += ["## The mini", ""]
    out += summary_table(mini)
    out += ["## Every variant: exact counts beside the published figures", "",
            "Trainable as torchvision and the papers count; total adds BatchNorm moving statistics, as Keras counts.", ""]
    out += counts_table(names)
    out += ["## Measured", ""]
    out += results_table(names, results)
    out += pictures(names)
    return "\n".join(out) + "\n"


def index(pages: list[tuple[str, str, int]]) -> str:
    lines = ["# A learning path through the classic convnets", "",
             "Generated by `python scripts/architecture_pages.py`. Read the families in the",
             "order they appeared; each page says what the paper introduced, shows its",
             "table as our code computes it, and what the mini reaches on a laptop CPU.", "",
             "| year | family | page |", "|---|---|---|"]
    lines += [f"| {year} | {title} | [{family}.md](architectures/{family}.md) |" for family, title, year in pages]
    lines += ["", "Alongside: [models.md](models.md) (every model's counts), [results.md](results.md) "
              "(measured accuracy), [benchmarks.md](benchmarks.md) and [time_to_accuracy.md](time_to_accuracy.md) "
              "(speed beside Keras and PyTorch), and the notebooks in `notebooks/`:", "",
              "1. `01_lenet5.ipynb`: LeNet-5 from the layers up, trained on MNIST",
              "2. `02_alexnet_to_vgg.ipynb`: depth and small kernels",
              "3. `03_residual.ipynb`: a plain net and a ResNet of the same depth side by side",
              "4. `04_mobilenet.ipynb`: depthwise separable convolutions, cost against accuracy as alpha changes", ""]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = p.parse_args()
    results_path = args.docs / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else []
    families: dict[str, list[str]] = {}
    for name in convnets.list_models():
        families.setdefault(model_info(name).family, []).append(name)
    missing = set(families) - set(FAMILIES)
    if missing:
        raise SystemExit(f"no page text for families {sorted(missing)}: add them to FAMILIES")
    (args.docs / "architectures").mkdir(parents=True, exist_ok=True)
    done = []
    for family, (title, year, *_rest) in sorted(FAMILIES.items(), key=lambda kv: kv[1][1]):
        path = args.docs / "architectures" / f"{family}.md"
        path.write_text(page(family, families[family], results))
        done.append((family, title, year))
        print(f"wrote {path}")
    (args.docs / "index.md").write_text(index(done))
    print(f"wrote {args.docs / 'index.md'}")


if __name__ == "__main__":
    main()
