"""NASNet-A: Zoph, Vasudevan, Shlens & Le, "Learning Transferable Architectures for
Scalable Image Recognition", CVPR 2018 (https://arxiv.org/abs/1707.07012).

Searching a whole ImageNet network is too expensive, so the paper searches a *cell* on
CIFAR-10 and builds the ImageNet network by stacking copies of it (Sec. 3). A cell takes
two inputs, the outputs of the two cells before it (h_i and h_{i-1}), and a recurrent
controller trained with reinforcement learning picks B = 5 *blocks*: each block chooses
two hidden states (the cell's inputs or an earlier block's output), an operation for
each, and adds the two results; the blocks nobody reads are concatenated into the
cell's output (the released normal cell concatenates p too). Two cells are searched: a *normal* cell, which keeps the map size, and a
*reduction* cell, whose operations on the cell inputs have stride 2. The network
(Fig. 2) is a 3x3/2 convolution, two reduction cells as a stem, then N normal cells,
a reduction, N normal cells, a reduction, N normal cells, ReLU, average pool and the
classifier; the width doubles at every reduction. "NASNet-A (N @ P)" names the network
by N and P, the width of the penultimate layer: with f filters per block in the first
stack, the last stack's blocks have 4f and its normal cells concatenate six states,
so P = 24 f (f = 44 for Mobile, 168 for Large).

The best cells, NASNet-A (Fig. 4), as data in ``NORMAL_A`` and ``REDUCTION_A``: each
block is two (operation, input) pairs whose results are added; ``h`` is this cell's
input (after a ReLU-1x1 conv-BN to f channels), ``p`` the previous cell's output
(adjusted to the same shape), 1-5 the blocks' outputs:

    normal cell                                  reduction cell (ops on h and p: stride 2)
    1  sep 5x5 (h)    + sep 3x3 (p)              1  sep 5x5 (h)    + sep 7x7 (p)
    2  sep 5x5 (p)    + sep 3x3 (p)              2  max 3x3 (h)    + sep 7x7 (p)
    3  avg 3x3 (h)    + identity (p)             3  avg 3x3 (h)    + sep 5x5 (p)
    4  avg 3x3 (p)    + avg 3x3 (p)              4  avg 3x3 (1)    + identity (2)
    5  sep 3x3 (h)    + identity (h)             5  sep 3x3 (1)    + max 3x3 (h)
    output: concat(p, 1, 2, 3, 4, 5): 6f         output: concat(2, 3, 4, 5): 4f

One small class, ``Cell``, interprets either table, so the searched cell is read as a
table, not as code. "sep kxk" is ReLU, separable kxk conv, BN, applied twice (the
paper applies each separable operation twice); ``p`` goes through the *adjust* path
first: where it is twice the size of ``h`` (the cell after a reduction) a *factorized
reduction* (ReLU, then two 1x1 convolutions of f/2 on the map subsampled by 2 and on
the map shifted by one pixel and subsampled, concatenated, BN), where only its width
differs a ReLU-1x1 conv-BN projection.

Built as Keras Applications' ``NASNetMobile`` and ``NASNetLarge`` build them (the
released TF-slim models), so Keras's weights port through ``convnets.from_keras``:
BatchNorm epsilon 1e-3 and momentum 0.9997; the stem convolution "valid" and no ReLU
after it (each cell starts with one); stride-2 separable convolutions padded as TF
"same" (Keras's ``correct_pad`` is the same); the stride-2 pools of the reduction
cell read h zero-padded ("same"'s amounts), so the zeros enter the max and the
average, where the stride-1 average pools of the normal cell ("same") average only
real pixels; the first stem cell's ``p`` is the stem convolution's output as it is
(no adjust). ``skip_reduction`` (Large, not Mobile): the normal cell after each of
the two reductions takes as its ``p`` not the reduction cell's input but the cell
before that (the reduction cell's own ``p``), as Keras's ``NASNet(skip_reduction=True)``
does; with N >= 2 both are normal-cell outputs of one shape, so the counts are the same
either way and only the function differs. Keras's input is scaled to -1..1 ("tf" mode).

Exact counts, 1000 classes (trainable / total with BatchNorm statistics; Keras's total
equals ours, timm's ``nasnetalarge`` equals the Large trainable count):

    model                       N@P      input  trainable    total        MACs
    nasnet_mobile (4 @ 1056)    4@1056   224     5,289,978    5,326,716   563,638,816
    nasnet_large  (6 @ 4032)    6@4032   331    88,753,150   88,949,818   23,783,414,658

The paper (Tables 2 and 3): 5.3M parameters and 564M mult-adds at 74.0% top-1, and
88.9M (Keras's total) and 23.8B at 82.7%. Not built (Keras has neither): the
auxiliary classifier and ScheduledDropPath of the paper's training; ``dropout`` before
the classifier is an option (0 by default, as Keras).

``nasnet_mini`` is the paper's CIFAR network (Fig. 2, left: a stride-1 3x3 stem and no
reduction-cell stem, Sec. 4.1's NASNet-A 6@768) scaled down for 28x28 and 32x32
images on a 2-core CPU: N = 1 normal cell per stack instead of 6 and P = 288 (f = 12)
instead of 768, a 32-filter stride-2 stem and one reduction cell before the first
stack (so 32x32 ends at 2x2: 32 -> 15 -> 8 -> 4 -> 2; CIFAR's NASNet ends at 8x8),
and BatchNorm momentum 0.9 rather than 0.9997 (five epochs are
about 1,200 steps: with 0.9997 the moving statistics would barely leave their
initial values). Both cells, both adjust paths (the normal cells reduce their p, the
second reduction cell projects it) and the doubling of widths (6, 12, 24, 48) are kept.
142,412 trainable parameters (146,304 total) and 1.93 M MACs at 32x32x3 (Mobile's stem
and first stack alone cost 189 M at 224x224). Why these sizes: NASNet's cells are
many small operations (five "sep" operations, ten separable convolutions, per cell,
whose depthwise halves are memory-bound on a CPU), so the mini keeps its MACs low to train
five Fashion-MNIST epochs within ten minutes: with a stride-1 stem (7.4 M MACs) a training
step ran at 179 img/s on this 2-core CPU (AVX2, no AVX-512), with stride 2 at about 550.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import (
    AvgPool2D,
    BatchNorm,
    Conv2D,
    ConvBN,
    Dense,
    Dropout,
    GlobalAvgPool,
    MaxPool2D,
    SeparableConv2D,
)
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("nasnet", "NASNet",
                Paper("Zoph, Vasudevan, Shlens & Le", "Learning Transferable Architectures for Scalable Image Recognition",
                      2018, "1707.07012"),
                full="nasnet_mobile", mini="nasnet_mini",
                problem="can a network's building block be searched for rather than designed?",
                idea="search a cell on a small data set, stack copies of it for a large one")

BN_EPSILON = 1e-3  # Keras's (and TF-slim's) BatchNorm epsilon for NASNet


class Op(NamedTuple):
    """One half of a block: an operation and the hidden state it reads ("h", "p" or a block's number)."""

    op: str  # "sep3x3", "sep5x5", "sep7x7", "avg3x3", "max3x3" or "identity"
    input: str | int


class CellSpec(NamedTuple):
    """A searched cell as data: five blocks of two ``Op``s added, and which states are concatenated."""

    kind: str  # "normal" or "reduction" (Keras's layer-name prefix)
    blocks: tuple[tuple[Op, Op], ...]
    concat: tuple[str | int, ...]
    reduction: bool  # operations on the cell's inputs (h, p) have stride 2


# Fig. 4, left: NASNet-A's normal cell, as Keras builds it (left op, right op per block).
NORMAL_A = CellSpec("normal", (
    (Op("sep5x5", "h"), Op("sep3x3", "p")),
    (Op("sep5x5", "p"), Op("sep3x3", "p")),
    (Op("avg3x3", "h"), Op("identity", "p")),
    (Op("avg3x3", "p"), Op("avg3x3", "p")),
    (Op("sep3x3", "h"), Op("identity", "h")),
), concat=("p", 1, 2, 3, 4, 5), reduction=False)

# Fig. 4, right: NASNet-A's reduction cell.
REDUCTION_A = CellSpec("reduction", (
    (Op("sep5x5", "h"), Op("sep7x7", "p")),
    (Op("max3x3", "h"), Op("sep7x7", "p")),
    (Op("avg3x3", "h"), Op("sep5x5", "p")),
    (Op("avg3x3", 1), Op("identity", 2)),
    (Op("sep3x3", 1), Op("max3x3", "h")),
), concat=(2, 3, 4, 5), reduction=True)

OPS = ("sep3x3", "sep5x5", "sep7x7", "avg3x3", "max3x3", "identity")


@dataclass(frozen=True)
class NASNetConfig:
    """NASNet-A (N @ P) and how its stem is built, as Keras's ``NASNet(...)`` takes them."""

    num_blocks: int = 4  # N: normal cells per stack
    penultimate_filters: int = 1056  # P = 24 f
    stem_filters: int = 32  # the 3x3 stem convolution's width
    skip_reduction: bool = False  # the normal cell after a reduction reads the cell before it as p (Large)
    filter_multiplier: int = 2  # widths double at every reduction (Sec. 3)
    stem_cells: int = 2  # reduction cells before the first stack (ImageNet: 2, Fig. 2)
    stem_stride: int = 2
    bn_momentum: float = 0.9997  # Keras's / TF-slim's
    normal: CellSpec = NORMAL_A
    reduction: CellSpec = REDUCTION_A


NASNET_MOBILE = NASNetConfig()
NASNET_LARGE = NASNetConfig(num_blocks=6, penultimate_filters=4032, stem_filters=96, skip_reduction=True)
NASNET_MINI = NASNetConfig(num_blocks=1, penultimate_filters=288, stem_filters=32, stem_cells=1, stem_stride=2,
                           bn_momentum=0.9)


def _same_pads(size: int, k: int, stride: int) -> tuple[int, int]:
    """TF "same" padding along one axis (Keras's ``correct_pad`` gives the same for stride 2)."""
    total = max((-(-size // stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class ZeroPaddedPool(Layer):
    """A k x k / stride pool of the input zero-padded by "same"'s amounts, then "valid": the reduction cell's
    stride-2 pools (Keras's ``ZeroPadding2D(correct_pad(h, 3))`` before them), where the zeros enter the max
    and count in the average, unlike a "same" pool's."""

    def __init__(self, kind: str, pool_size: int = 3, stride: int = 2, name: str | None = None):
        super().__init__(name=name)
        self.kind, self.pool_size, self.stride = kind, pool_size, stride

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        h, w = int(x.shape[1]), int(x.shape[2])
        x = tf.pad(x, [[0, 0], list(_same_pads(h, self.pool_size, self.stride)),
                       list(_same_pads(w, self.pool_size, self.stride)), [0, 0]])
        pool = tf.nn.max_pool2d if self.kind == "max" else tf.nn.avg_pool2d
        return pool(x, self.pool_size, self.stride, "VALID")

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, c = input_shape
        k, s = (self.pool_size,) * 2, (self.stride,) * 2
        return (*self.window_hw((h, w), k, s, (1, 1), "same"), c)


class SepConvBlock(Block):
    """"sep kxk": ReLU, separable kxk conv (stride s), BN, ReLU, separable kxk conv, BN (Keras's
    ``_separable_conv_block``; no biases)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, momentum: float, name: str):
        super().__init__(name=name)
        self.sep1 = SeparableConv2D(cin, cout, k, stride, "same", use_bias=False, name="sep1")
        self.bn1 = BatchNorm(cout, momentum=momentum, epsilon=BN_EPSILON, name="bn1")
        self.sep2 = SeparableConv2D(cout, cout, k, 1, "same", use_bias=False, name="sep2")
        self.bn2 = BatchNorm(cout, momentum=momentum, epsilon=BN_EPSILON, name="bn2")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.bn1(self.sep1(tf.nn.relu(x)), training=training)
        return self.bn2(self.sep2(tf.nn.relu(x)), training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.sep2.output_shape(self.sep1.output_shape(input_shape))


class FactorizedReduce(Block):
    """The adjust path where ``p`` is twice ``h``'s size: ReLU, then a 1x1 conv of f/2 on the map subsampled
    by 2 (pixels (2i, 2j)) and another on the map shifted by one pixel and subsampled (pixels (2i+1, 2j+1),
    zeros past the edge), concatenated, BN: the two diagonal pixels of every 2x2 window, rather than one
    (Keras's ``adjust_reduction``)."""

    def __init__(self, cin: int, filters: int, momentum: float, name: str = "adjust"):
        super().__init__(name=name)
        half = filters // 2
        self.pool1 = AvgPool2D(1, 2, name="pool1")
        self.conv1 = Conv2D(cin, half, 1, use_bias=False, w_init="he_normal", name="conv1")
        self.pool2 = AvgPool2D(1, 2, name="pool2")
        self.conv2 = Conv2D(cin, half, 1, use_bias=False, w_init="he_normal", name="conv2")
        self.bn = BatchNorm(2 * half, momentum=momentum, epsilon=BN_EPSILON, name="bn")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = tf.nn.relu(x)
        a = self.conv1(self.pool1(x))
        # Keras's ZeroPadding2D(((0, 1), (0, 1))) then Cropping2D(((1, 0), (1, 0))): the map moved up and left
        shifted = tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]])[:, 1:, 1:, :]
        b = self.conv2(self.pool2(shifted))
        return self.bn(tf.concat([a, b], axis=-1), training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv1.output_shape(self.pool1.output_shape(input_shape))[:2] + (self.bn.channels,)


class Projection(Block):
    """The adjust path where only ``p``'s width differs: ReLU, 1x1 conv, BN (Keras's ``adjust_projection``)."""

    def __init__(self, cin: int, filters: int, momentum: float, name: str = "adjust"):
        super().__init__(name=name)
        self.conv = Conv2D(cin, filters, 1, use_bias=False, w_init="he_normal", name="conv")
        self.bn = BatchNorm(filters, momentum=momentum, epsilon=BN_EPSILON, name="bn")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.bn(self.conv(tf.nn.relu(x)), training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)


class Cell(Block):
    """A searched cell run from its table (``CellSpec``): ``cell((x, p))`` for this cell's input x and the
    previous cell's output p.

    p goes through ``adjust`` ("reduce": ``FactorizedReduce``, "project": ``Projection``, "none"); h is
    ReLU-1x1 conv-BN of x to ``filters``; each block adds its two operations' results; the output
    concatenates the states ``spec.concat`` names. Layers are named ``left{b}``/``right{b}`` after the
    block's first and second operation (Keras's names).
    """

    def __init__(self, spec: CellSpec, x_channels: int, p_channels: int, filters: int, adjust: str,
                 momentum: float, name: str):
        super().__init__(name=name)
        self.spec, self.filters = spec, filters
        if adjust == "reduce":
            self.adjust: Block | None = FactorizedReduce(p_channels, filters, momentum, name="adjust")
        elif adjust == "project":
            self.adjust = Projection(p_channels, filters, momentum, name="adjust")
        elif adjust == "none":
            self.adjust = None
        else:
            raise ConfigError(f"{name}: adjust must be 'reduce', 'project' or 'none', got {adjust!r}")
        self.conv = Conv2D(x_channels, filters, 1, use_bias=False, w_init="he_normal", name="conv")
        self.bn = BatchNorm(filters, momentum=momentum, epsilon=BN_EPSILON, name="bn")
        channels: dict[str | int, int] = {"h": filters, "p": filters if self.adjust is not None else p_channels}
        self.ops: list[tuple[Layer | None, Layer | None]] = []
        for b, block in enumerate(spec.blocks, 1):
            pair = []
            for side, (op, src) in zip(("left", "right"), block):
                if src not in channels:
                    raise ConfigError(f"{name}: block {b} reads {src!r}, which is not 'h', 'p' or an earlier block")
                stride = 2 if spec.reduction and src in ("h", "p") else 1
                pair.append(self._op(op, channels[src], stride, momentum, f"{side}{b}", b))
            self.ops.append((pair[0], pair[1]))
            channels[b] = filters
        self.out_channels = sum(channels[k] for k in spec.concat)

    def _op(self, op: str, cin: int, stride: int, momentum: float, name: str, b: int) -> Layer | None:
        if op not in OPS:
            raise ConfigError(f"{self.name}: block {b}: unknown operation {op!r}; expected one of {OPS}")
        if op.startswith("sep"):
            return SepConvBlock(cin, self.filters, int(op[3]), stride, momentum, name=name)
        if cin != self.filters:
            raise ConfigError(f"{self.name}: block {b}: {op} keeps its input's {cin} channels, the block adds "
                              f"{self.filters}")
        if op == "identity":
            if stride != 1:
                raise ConfigError(f"{self.name}: block {b}: an identity of a cell input cannot reduce the map")
            return None
        kind = op[:3]
        if stride == 2:
            return ZeroPaddedPool(kind, 3, 2, name=name)
        return (AvgPool2D if kind == "avg" else MaxPool2D)(3, 1, padding="same", name=name)

    def forward(self, inputs: tuple[tf.Tensor, tf.Tensor], training: bool = False) -> tf.Tensor:
        x, p = inputs
        if self.adjust is not None:
            p = self.adjust(p, training=training)
        h = self.bn(self.conv(tf.nn.relu(x)), training=training)
        states: dict[str | int, tf.Tensor] = {"h": h, "p": p}
        for b, (block, layers) in enumerate(zip(self.spec.blocks, self.ops), 1):
            outs = [states[src] if layer is None else layer(states[src], training=training)
                    for (_, src), layer in zip(block, layers)]
            states[b] = outs[0] + outs[1]
        return tf.concat([states[k] for k in self.spec.concat], axis=-1)

    def output_shape(self, input_shape: tuple[Shape, Shape]) -> Shape:  # type: ignore[override]
        x_shape, p_shape = input_shape
        p = p_shape if self.adjust is None else self.adjust.output_shape(p_shape)
        shapes: dict[str | int, Shape] = {"h": self.conv.output_shape(x_shape), "p": p}
        for b, (block, layers) in enumerate(zip(self.spec.blocks, self.ops), 1):
            outs = [shapes[src] if layer is None else layer.output_shape(shapes[src])
                    for (_, src), layer in zip(block, layers)]
            if outs[0] != outs[1]:
                raise ConfigError(f"{self.name}: block {b} adds shapes {outs[0]} and {outs[1]}")
            shapes[b] = outs[0]
        h, w, _ = shapes[self.spec.concat[0]]
        return (h, w, self.out_channels)


class NASNet(Model):
    """Fig. 2's ImageNet network: stem conv, ``stem_cells`` reduction cells, then three stacks of N normal
    cells with a reduction cell between them, ReLU, average pool, (dropout), fc. Option: ``dropout``."""

    def __init__(self, config: NASNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.0, name: str = "nasnet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        m, n = config.filter_multiplier, config.num_blocks
        if n < 1 or config.stem_cells < 0:
            raise ConfigError(f"{name}: num_blocks must be >= 1 and stem_cells >= 0")
        if config.penultimate_filters % (24 * m ** 2):  # Keras's check: every width a whole number
            raise ConfigError(f"{name}: penultimate_filters must be a multiple of 24 * filter_multiplier**2 = "
                              f"{24 * m ** 2}, got {config.penultimate_filters}")
        f = config.penultimate_filters // 24
        momentum = config.bn_momentum
        self.stem = ConvBN(input_shape[2], config.stem_filters, 3, config.stem_stride, "valid", act=None,
                           bn_epsilon=BN_EPSILON, bn_momentum=momentum, name="stem")
        # (spec, filters, name) in order: the stem's reduction cells, then the stacks (Keras's block ids).
        plan = [(config.reduction, f // m ** (config.stem_cells - i), f"stem_{i + 1}") for i in range(config.stem_cells)]
        for s in range(3):
            if s:
                plan.append((config.reduction, f * m ** s, f"reduce_{s * n}"))
            plan += [(config.normal, f * m ** s, f"normal_{s * n + i + min(s, 1)}") for i in range(n)]
        # states[0] is the stem's output, states[i + 1] cell i's; cell i reads x = states[i] and p = states[prev[i]]
        prevs: list[int] = []
        channels, levels = [config.stem_filters], [0]
        self.cells: list[Cell] = []
        for i, (spec, filters, cell_name) in enumerate(plan):
            prev = max(i - 1, 0)
            if config.skip_reduction and i > config.stem_cells and plan[i - 1][2].startswith("reduce_"):
                prev = prevs[i - 1]  # the normal cell after a reduction skips it: the reduction's own p
            if i == 0:
                adjust = "none"  # Keras: p is None, so p = x as it is
            elif levels[prev] != levels[i]:
                adjust = "reduce"
            else:
                adjust = "project" if channels[prev] != filters else "none"
            cell = Cell(spec, channels[i], channels[prev], filters, adjust, momentum, name=cell_name)
            self.cells.append(cell)
            prevs.append(prev)
            channels.append(cell.out_channels)
            levels.append(levels[i] + int(spec.reduction))
        self.prev = tuple(prevs)
        self.num_features = channels[-1]
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(self.num_features, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        states = [self.stem(x, training=training)]
        for i, cell in enumerate(self.cells):
            states.append(cell((states[i], states[self.prev[i]]), training=training))
        return tf.nn.relu(states[-1])  # Keras's ReLU after the last cell

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        shapes = [self.stem.output_shape(tuple(input_shape))]
        for i, cell in enumerate(self.cells):
            shapes.append(cell.output_shape((shapes[i], shapes[self.prev[i]])))
        return shapes[-1]


KERAS = "Keras Applications"


@register(FAMILY, params=(5_289_978, 5_326_716), macs=563_638_816,
          references=[Reference(KERAS, 5_289_978, 5_326_716)],
          paper_params="5.3M (Table 3)", paper_macs=(564e6, "Table 3"),
          top1=(74.0, "paper Table 3"))
def nasnet_mobile(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> NASNet:
    """NASNet-A Mobile (4 @ 1056): the searched normal and reduction cells, 4 per stack; 5,289,978 params, 224x224."""
    return NASNet(NASNET_MOBILE, num_classes=num_classes, input_shape=input_shape, name="nasnet_mobile", **options)


@register(FAMILY, params=(88_753_150, 88_949_818), macs=23_783_414_658,
          references=[Reference(KERAS, 88_753_150, 88_949_818), Reference("timm", 88_753_150)],
          paper_params="88.9M (Table 2; Keras's total)", paper_macs=(23.8e9, "Table 2"),
          top1=(82.7, "paper Table 2"))
def nasnet_large(*, num_classes: int = 1000, input_shape: Shape = (331, 331, 3), **options: Any) -> NASNet:
    """NASNet-A Large (6 @ 4032): 6 cells per stack, skip_reduction wiring; 88,753,150 params, 331x331."""
    return NASNet(NASNET_LARGE, num_classes=num_classes, input_shape=input_shape, name="nasnet_large", **options)


@register(FAMILY, params=(142_412, 146_304), macs=1_934_304, mini=True)
def nasnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> NASNet:
    """NASNet-A mini (1 @ 288): both cells, one normal cell per stack, a stride-2 stem and one stem reduction cell."""
    return NASNet(NASNET_MINI, num_classes=num_classes, input_shape=input_shape, name="nasnet_mini", **options)
