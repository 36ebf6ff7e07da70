"""Architecture diagrams drawn from the model itself (``convnets draw``).

The model is traced once (``tf.function``, nothing computed) with every layer call recorded, input and
output tensors included. The picture has two parts:

- the **overview**: the network from input to logits, one box per stage (``stage1``: 3 x BasicBlock),
  per block (``--depth blocks``) or per layer (``--depth layers``), with output shapes and parameters;
- one **opened block** per kind of block the network is built from (a residual unit, an inception
  module, a dense layer, an MBConv, a ConvNeXt block...): its units (convolutions, BatchNorm, a
  squeeze-and-excite gate) and the operations between them that the graph shows (the shortcut's
  addition, a concatenation, the gate's product, a channel shuffle), laid out as a small graph, so
  branches sit side by side and a shortcut runs past the units it skips.

Drawn with matplotlib (no Graphviz binary needed), as SVG with real text (``svg.fonttype = none``),
so the names in the picture are searchable and tests can read them back, or as PNG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import tensorflow as tf  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from convnets.catalog import human  # noqa: E402
from convnets.errors import ConfigError  # noqa: E402
from convnets.layers.base import layer_outputs  # noqa: E402
from convnets.models.base import Model  # noqa: E402

DEPTHS = ("stages", "blocks", "layers")
MAX_OPENED = 4  # blocks opened beside the overview (the first of each kind)

# Graph ops between units that a learner should see, with their labels; any other op (an identity, a
# reshape, a cast, a padding) is looked through.
_SHOWN_OPS = {"AddV2": "+", "Add": "+", "AddN": "+", "ConcatV2": "concat", "Mul": "x", "Transpose": "channel shuffle",
              "Split": "channel split", "SplitV": "channel split", "Relu": "ReLU", "Relu6": "ReLU6",
              "Sigmoid": "sigmoid", "Tanh": "tanh", "MaxPool": "max pool", "AvgPool": "avg pool", "Mean": "mean",
              "Pad": "zero-pad", "PadV2": "pad"}
_MERGES = {"AddV2", "Add", "AddN", "ConcatV2", "Mul"}  # shown only where two paths meet (not x * a constant)
_NO_DATA = {"Const", "ReadVariableOp", "VarHandleOp", "Placeholder", "Shape"}

# How a top-level name belongs to a stage: stage1_block2 -> stage1, conv3_block7 -> conv3 (DenseNet,
# ResNet-50), block1_conv2 -> block1 (VGG), stage2_downsample -> stage2 (ConvNeXt), s3_b4 -> s3 (RegNet),
# stage3_2 -> stage3 (MnasNet), inception_4c -> inception_4, block6b -> block6 (EfficientNet).
_STAGE_PATTERNS = (
    re.compile(r"^(.+?)_(?:block|unit|b)\d+$"),
    re.compile(r"^(.+?\d)_(?:downsample|conv\d+(?:_bn)?|pool)$"),
    re.compile(r"^(.+?)_\d+$"),
    re.compile(r"^(.*\d)[a-z]$"),
)


def stage_of(name: str) -> str:
    """The stage a top-level layer or block belongs to, by its name (see ``_STAGE_PATTERNS``)."""
    for pattern in _STAGE_PATTERNS:
        m = pattern.match(name)
        if m:
            return m.group(1)
    return name


@dataclass
class Node:
    """A box: a unit (layer or block), an operation between units, or the input/output."""

    key: str
    title: str
    detail: str = ""
    shape: str = ""
    params: int = 0
    kind: str = "unit"  # unit | op | io
    sources: list[str] = field(default_factory=list)
    rank: int = 0
    x: float = 0.0


@dataclass
class Trace:
    """One traced forward pass: every layer call's row (``layer_outputs``), the graph input and output."""

    rows: list[dict[str, Any]]
    input: tf.Tensor
    output: tf.Tensor


def trace(model: Model) -> Trace:
    """Trace ``model`` once on its input shape (a graph is built; nothing is computed)."""
    if not isinstance(model, Model):
        raise ConfigError(f"draw expects a model (convnets.create_model(name)), got {type(model).__name__}")
    recorded: dict[str, Any] = {}

    @tf.function(autograph=False)
    def forward(x: tf.Tensor) -> Any:
        y, rows = layer_outputs(model, x)
        recorded.update(rows=rows, input=x, output=y)
        return y

    forward.get_concrete_function(tf.TensorSpec((1, *model.input_shape), tf.float32))
    return Trace(recorded["rows"], recorded["input"], recorded["output"])


def _shape(row_or_tensor: Any) -> str:
    """A row's output shape, or a tensor's, or a block's several (NASNet's cells take this and the previous
    cell's output): "16x16x32"."""
    if isinstance(row_or_tensor, dict):
        return "x".join(str(int(d)) for d in row_or_tensor["output_shape"])
    return ", ".join("x".join(str(int(d)) for d in t.shape[1:]) for t in tf.nest.flatten(row_or_tensor))


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def describe(layer: Any) -> str:
    """A short description of a layer: "3x3/2 conv" "3x3 dw conv +BN relu" "3x3/2 max pool" "dense"."""
    conv = layer if hasattr(layer, "kernel_size") else getattr(layer, "conv", None)
    kind = type(layer).__name__
    if conv is not None and hasattr(conv, "kernel_size"):
        kh, kw = _pair(conv.kernel_size)
        k = f"{kh}x{kw}"
        s = _pair(getattr(conv, "stride", 1))
        stride = f"/{s[0]}" if s != (1, 1) else ""
        name = type(conv).__name__
        what = "dw conv" if "Depthwise" in name else "sep conv" if "Separable" in name else "conv"
        groups = getattr(conv, "groups", 1)
        if what == "conv" and groups > 1:
            what = f"conv, {groups} groups"
        text = f"{k}{stride} {what}"
        if conv is not layer:
            text += " +BN" if getattr(layer, "bn", None) is not None else ""
            act = getattr(layer, "act", None)
            if act is not None:
                text += f" {getattr(act, '__name__', type(act).__name__)}"
        return text
    if hasattr(layer, "pool_size"):
        kh, kw = _pair(layer.pool_size)
        s = _pair(getattr(layer, "stride", 1))
        stride = f"/{s[0]}" if s != (1, 1) else ""
        return f"{kh}x{kw}{stride} {'max' if 'Max' in kind else 'avg'} pool"
    return kind


class _Graph:
    """The units inside one block (or the whole model) and the graph ops between them."""

    def __init__(self, tr: Trace, units: list[dict[str, Any]], inp: Any, out: Any, prefix: str):
        inputs = tf.nest.flatten(inp)
        # io: keys cannot clash with a layer's name (LeNet-5's last layer is called "output")
        self.inputs = {t.name: "io:input" if len(inputs) == 1 else f"io:input {i + 1}" for i, t in enumerate(inputs)}
        self.nodes: dict[str, Node] = {key: Node(key, key[3:], shape=_shape(t), kind="io")
                                       for t, key in zip(inputs, self.inputs.values())}
        self.producers: dict[str, list[tuple[int, str]]] = {}
        outputs = {t.name for t in tf.nest.flatten(out)}
        # the outputs of layers outside this block: a walk that reaches one has left the block
        self.outside = {t.name for r in tr.rows if not r["name"].startswith(prefix)
                        for t in tf.nest.flatten(r["output"])} - outputs
        for r in units:
            key = r["name"]
            title = key[len(prefix):] if prefix and key.startswith(prefix) else key
            self.nodes[key] = Node(key, title, describe(r["layer"]), _shape(r), r.get("params", 0))
            for t in tf.nest.flatten(r["output"]):
                self.producers.setdefault(t.name, []).append((r["entered"], key))
        self.memo: dict[tuple[str, int], set[str]] = {}
        for r in units:
            self.nodes[r["name"]].sources = sorted(self.walk_all(r["input"], r["entered"]), key=self.order)
        output = Node("io:output", "output", shape=_shape(out), kind="io")
        output.sources = sorted(self.walk_all(out, 1 << 60), key=self.order)
        self.nodes[output.key] = output

    def walk_all(self, tensors: Any, before: int) -> set[str]:
        return set().union(*(self.walk(t, before) for t in tf.nest.flatten(tensors)))

    def order(self, key: str) -> int:
        return list(self.nodes).index(key)

    def walk(self, t: tf.Tensor, before: int) -> set[str]:
        """The nodes whose output ``t`` is made from (looking through ops not shown)."""
        memo_key = (t.name, before)
        if memo_key in self.memo:
            return self.memo[memo_key]
        self.memo[memo_key] = set()  # cycles cannot happen in a graph; this guards re-entry
        made = [(seq, key) for seq, key in self.producers.get(t.name, []) if seq < before]
        if made:
            found = {max(made)[1]}
        elif t.name in self.inputs:
            found = {self.inputs[t.name]}
        elif t.name in self.outside or t.op.type in _NO_DATA:
            found = set()
        else:
            found = set()
            # IdentityN (a custom gradient's wrapper, as tf.nn.silu's) passes output i through from input i alone
            inputs = [t.op.inputs[t.value_index]] if t.op.type == "IdentityN" else t.op.inputs
            for i in inputs:
                if i.dtype.is_floating:
                    found |= self.walk(i, before)
            gate = [k for k in found if self.nodes[k].title == "sigmoid" and set(self.nodes[k].sources) == found - {k}]
            if t.op.type == "Mul" and len(found) == 2 and gate:  # x * sigmoid(x): one swish (SiLU), not two ops
                del self.nodes[gate[0]]
                key = f"op:{t.op.name}"
                self.nodes[key] = Node(key, "swish", shape=_shape(t), kind="op", sources=sorted(found - {gate[0]}))
                found = {key}
            elif found and t.op.type in _SHOWN_OPS and (len(found) > 1 or t.op.type not in _MERGES):
                key = f"op:{t.op.name}"
                if key not in self.nodes:
                    self.nodes[key] = Node(key, _SHOWN_OPS[t.op.type], shape=_shape(t) if t.shape.rank else "",
                                           kind="op", sources=sorted(found, key=self.order))
                found = {key}
        self.memo[memo_key] = found
        return found

    def layout(self) -> list[Node]:
        """Ranks (longest path from the input) and x positions (mean of the sources', spread apart)."""
        nodes = self.nodes

        def rank(key: str) -> int:
            n = nodes[key]
            if n.rank == -1:
                n.rank = -2  # being ranked: a graph has no cycles, but a bug of ours must not recurse forever
                n.rank = 1 + max((rank(s) for s in n.sources), default=-1)
            return max(n.rank, 0)

        for n in nodes.values():
            n.rank = -1
        for key in nodes:
            rank(key)
        ordered = sorted(nodes, key=lambda k: nodes[k].rank)  # stable: units in call order within a rank
        nodes["io:output"].rank = max(n.rank for n in nodes.values() if n.key != "io:output") + 1
        by_rank: dict[int, list[Node]] = {}
        for key in ordered:
            by_rank.setdefault(nodes[key].rank, []).append(nodes[key])
        for rank in sorted(by_rank):
            row = by_rank[rank]
            wanted = sorted(((sum(nodes[s].x for s in n.sources) / len(n.sources) if n.sources else 0.0), i, n)
                            for i, n in enumerate(row))
            row = [n for _, _, n in wanted]
            targets = [w for w, _, _ in wanted]
            # place left to right at the wanted spots, at least one column apart, then centre the row on them
            xs: list[float] = []
            for w in targets:
                xs.append(w if not xs else max(w, xs[-1] + 1.0))
            shift = (sum(targets) - sum(xs)) / len(xs)
            for n, x in zip(row, xs):
                n.x = x + shift
        return [nodes[k] for k in ordered]


def _units(tr: Trace, prefix: str) -> list[dict[str, Any]]:
    """The rows directly inside the block ``prefix`` ("stage1_block1/"; "" for the model): leaves and
    blocks, a ``Sequential``'s layers in its place."""
    inside = [r for r in tr.rows if r["name"].startswith(prefix) and r["type"] != "Sequential"]
    names = {r["name"] for r in inside if r.get("block")}
    out = []
    for r in inside:
        parts = r["name"].split("/")
        if not any("/".join(parts[:i]) in names for i in range(1, len(parts))
                   if "/".join(parts[:i]) + "/" != prefix and len("/".join(parts[:i])) > len(prefix.rstrip("/"))):
            out.append(r)
    return sorted(out, key=lambda r: r["entered"])


def _leaves(tr: Trace) -> list[dict[str, Any]]:
    return sorted((r for r in tr.rows if not r.get("block")), key=lambda r: r["entered"])


def overview_rows(tr: Trace, depth: str = "stages") -> list[dict[str, Any]]:
    """The overview's boxes, in order: one per stage (consecutive top-level names sharing a stage), per
    top-level block, or per layer; each with its output shape, parameters and what it is made of."""
    if depth not in DEPTHS:
        raise ConfigError(f"depth must be one of {', '.join(DEPTHS)}, got {depth!r}")
    leaves = _leaves(tr)
    if depth == "layers":
        return [{"name": r["name"], "what": describe(r["layer"]), "shape": _shape(r), "params": r["params"]}
                for r in leaves]
    blocks = {r["name"]: r for r in tr.rows if r.get("block")}
    tops: dict[str, dict[str, Any]] = {}
    for r in leaves:
        top = r["name"].split("/")[0]
        entry = tops.setdefault(top, {"name": top, "params": 0, "row": blocks.get(top, r)})
        entry["params"] += r["params"]
        entry["shape"] = _shape(blocks[top]) if top in blocks else _shape(r)
    boxes: list[dict[str, Any]] = []
    for top, entry in tops.items():
        row = entry["row"]
        kind = row["type"] if row.get("block") else describe(row["layer"])
        name = stage_of(top) if depth == "stages" else top
        if boxes and boxes[-1]["name"] == name:
            last = boxes[-1]
            last["params"] += entry["params"]
            last["shape"] = entry["shape"]
            last["kinds"].append(kind)
            last["members"].append(top)
        else:
            boxes.append({"name": name, "params": entry["params"], "shape": entry["shape"], "kinds": [kind],
                          "members": [top]})
    # a stage of one keeps its own name (MobileNet v2's Conv_1; NASNet's normal_0, reduce_1, normal_2)
    for b in boxes:
        if len(b["members"]) == 1:
            b["name"] = b["members"][0]
    for b in boxes:  # what each stage is made of, repeats counted: "3 x BasicBlock", "2 x 3x3 conv + 2x2/2 max pool"
        runs: list[list[Any]] = []
        for kind in b.pop("kinds"):
            if runs and runs[-1][0] == kind:
                runs[-1][1] += 1
            else:
                runs.append([kind, 1])
        b["what"] = " + ".join(f"{n} x {kind}" if n > 1 else kind for kind, n in runs)
        del b["members"]
    return boxes


def opened_blocks(tr: Trace, limit: int = MAX_OPENED) -> list[dict[str, Any]]:
    """The first block of each kind (class and layout of its units) that is more than a chain of layers."""
    seen, out = set(), []
    for r in sorted((r for r in tr.rows if r.get("block") and r["type"] != "Sequential"), key=lambda r: r["entered"]):
        g = _Graph(tr, _units(tr, r["name"] + "/"), r["input"], r["output"], r["name"] + "/")
        nodes = list(g.nodes.values())
        chain = all(len(n.sources) <= 1 for n in nodes) and sum(1 for n in nodes if n.sources and n.sources[0] ==
                                                                 "io:input") <= 1 and len(g.inputs) == 1
        signature = (r["type"], tuple(n.title for n in nodes))
        if chain or signature in seen or r["type"] in {s[0] for s in seen if len(seen) >= limit}:
            continue
        seen.add(signature)
        out.append({"row": r, "graph": g})
        if len(out) >= limit:
            break
    return out


# --- drawing --------------------------------------------------------------------------------------
# Units are inches: a box is BOX_W x BOX_H, columns COL apart, ranks ROW apart.
BOX_W, BOX_H, COL, ROW = 1.75, 0.5, 2.0, 0.78
COLOURS = {"unit": "#e8f0fb", "op": "#fdf1d6", "io": "#e9f5e9", "stage": "#f2ecf9"}


def _box(ax: Any, x: float, y: float, lines: list[str], kind: str, w: float = BOX_W, h: float = BOX_H) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.06",
                                facecolor=COLOURS[kind], edgecolor="#555555", linewidth=0.8))
    top = y + (len(lines) - 1) * 0.075
    for i, text in enumerate(lines):
        ax.text(x, top - i * 0.15, text, ha="center", va="center", fontsize=7.5 if i == 0 else 6.5,
                fontweight="bold" if i == 0 else "normal", family="DejaVu Sans")


def _arrow(ax: Any, points: list[tuple[float, float]]) -> None:
    xs, ys = zip(*points)
    ax.plot(xs[:-1] + (xs[-1],), ys, color="#666666", linewidth=0.8)
    ax.annotate("", xy=points[-1], xytext=points[-2],
                arrowprops=dict(arrowstyle="-|>", color="#666666", linewidth=0.8, shrinkA=0, shrinkB=0))


def _params(n: int) -> str:
    return f"{human(n)} params" if n >= 1_000_000 else f"{n:,} params"


def _draw_graph(ax: Any, g: _Graph, x0: float, y0: float) -> tuple[float, float]:
    """Draw ``g`` with its top-left at (x0, y0); returns (width, height) used, in inches."""
    nodes = g.layout()
    lo = min(n.x for n in nodes)
    hi = max(n.x for n in nodes)
    pos = {n.key: (x0 + (n.x - lo) * COL + BOX_W / 2, y0 - n.rank * ROW - BOX_H / 2) for n in nodes}
    half = {n.key: (BOX_W * (0.7 if n.kind == "op" else 1.0) / 2, BOX_H * (1.0 if n.kind == "unit" else 0.8) / 2)
            for n in nodes}
    for n in nodes:
        x, y = pos[n.key]
        if n.kind == "op":
            _box(ax, x, y, [n.title, n.shape] if n.shape else [n.title], "op", w=BOX_W * 0.7, h=BOX_H * 0.8)
        elif n.kind == "io":
            _box(ax, x, y, [n.title, n.shape], "io", h=BOX_H * 0.8)
        else:
            _box(ax, x, y, [n.title, n.detail, f"{n.shape}  {_params(n.params)}" if n.params else n.shape], "unit")
    by_rank: dict[int, list[Node]] = {}
    for n in nodes:
        by_rank.setdefault(n.rank, []).append(n)
    right = x0 + (hi - lo) * COL + BOX_W
    gap = (ROW - BOX_H) / 2  # the free band between two ranks: edges turn there, never across a box
    lane = 0
    for n in nodes:
        tx, ty = pos[n.key]
        for s in n.sources:
            sx, sy = pos[s]
            src = g.nodes[s]
            between = [m for r in range(src.rank + 1, n.rank) for m in by_rank.get(r, [])]
            start, end = (sx, sy - half[s][1]), (tx, ty + half[n.key][1])
            above_target = ty + BOX_H / 2 + gap
            if not between or not any(abs(pos[m.key][0] - (sx + (tx - sx) * (m.rank - src.rank) / (n.rank - src.rank)))
                                      < half[m.key][0] + 0.05 for m in between):
                _arrow(ax, [start, end])
            elif not any(abs(pos[m.key][0] - sx) < half[m.key][0] + 0.05 for m in between):
                _arrow(ax, [start, (sx, above_target), end])  # down its own free column, then across
            else:  # a shortcut past the units it skips: out to a lane on the right, back in the band above
                lane += 1
                lx = right + 0.15 + 0.12 * lane
                below_source = sy - BOX_H / 2 - gap
                _arrow(ax, [start, (sx, below_source), (lx, below_source), (lx, above_target), (tx, above_target), end])
    width = (hi - lo) * COL + BOX_W + 0.3 + 0.12 * lane
    height = (max(n.rank for n in nodes) + 1) * ROW
    return width, height


def draw(model: Model, depth: str = "stages") -> Figure:
    """The diagram of ``model``: the overview at ``depth`` (stages, blocks or layers) and the first block
    of each kind opened up (all the layers' graph with ``depth="layers"``)."""
    tr = trace(model)
    name = model.config.get("name", model.name)
    head = [f"{name}", f"input {'x'.join(map(str, model.input_shape))}", f"{model.trainable_params:,} trainable params"]
    panels: list[tuple[str, _Graph]] = []
    if depth == "layers":
        panels.append((f"{name}: every layer ({model.trainable_params:,} trainable params)",
                       _Graph(tr, _leaves(tr), tr.input, tr.output, "")))
    else:
        panels += [(f"{b['row']['name']}: {b['row']['type']}", b["graph"]) for b in opened_blocks(tr)]
    plt.rcParams["svg.fonttype"] = "none"  # text stays text in an SVG: searchable, and tests read it back
    boxes = overview_rows(tr, depth) if depth != "layers" else []
    # drawn in inches (one data unit is one inch), then the figure is sized to what was drawn
    fig = plt.figure()
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    x = 0.2
    heights = []
    top = 0.0
    if boxes:
        cx = x + BOX_W / 2 + 0.1
        ax.text(x, top - 0.15, "\n".join(head), ha="left", va="top", fontsize=8, fontweight="bold")
        y = top - 0.9
        items = [{"name": "input", "what": "", "shape": "x".join(map(str, model.input_shape)), "params": 0, "io": 1}]
        items += boxes
        prev = None
        for b in items:
            lines = [b["name"]] + ([b["what"]] if b.get("what") else [])
            lines.append(f"{b['shape']}  {_params(b['params'])}" if b["params"] else b["shape"])
            _box(ax, cx, y, lines, "io" if b.get("io") else "stage", w=BOX_W + 0.2)
            if prev is not None:
                _arrow(ax, [(cx, prev - BOX_H / 2), (cx, y + BOX_H / 2)])
            prev = y
            y -= ROW
        heights.append(-y)
        x += BOX_W + 0.6
    for title, g in panels:
        ax.text(x, top - 0.15, title if depth == "layers" else f"{title}\n(the first of its kind, opened)",
                ha="left", va="top", fontsize=8, fontweight="bold")
        w, h = _draw_graph(ax, g, x, top - 0.65)
        heights.append(h + 0.75)
        x += w + 0.4
    if not boxes and not panels:
        raise ConfigError(f"{name}: nothing to draw")
    height = max(heights) + 0.2
    width = x
    fig.set_size_inches(width, height)
    ax.set_xlim(0, width)
    ax.set_ylim(-height, 0)
    return fig


def check_out(out: str | Path) -> Path:
    """``out`` as a path, after checking it names a picture this module writes (before any work is done)."""
    path = Path(out)
    if path.suffix.lower() not in (".svg", ".png"):
        raise ConfigError(f"--out {out}: write a .svg or a .png file")
    return path


def save(fig: Figure, out: str | Path) -> Path:
    """Write ``fig`` as SVG or PNG (by the suffix)."""
    path = check_out(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    svg = path.suffix.lower() == ".svg"
    # The same diagram makes the same file: no date, and clip-path ids hashed from the name, not at random.
    with plt.rc_context({"svg.hashsalt": path.name} if svg else {}):
        fig.savefig(path, dpi=None if svg else 110, metadata={"Date": None} if svg else None)
    plt.close(fig)
    return path


def svg_text(path: str | Path) -> list[str]:
    """Every text element of an SVG this module wrote (what a reader can search for)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return ["".join(e.itertext()).strip() for e in root.iter() if e.tag.endswith("}text") or e.tag == "text"]

