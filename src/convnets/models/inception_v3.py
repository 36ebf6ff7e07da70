"""Inception-v3: Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the
Inception Architecture for Computer Vision", CVPR 2016 (https://arxiv.org/abs/1512.00567).

The paper's ideas, each a block below: factorise a large convolution into smaller
ones (Sec. 3.1, Fig. 5: a 5x5 into two 3x3s) and an n x n one into a 1 x n and an
n x 1 (Sec. 3.2, Fig. 6: n = 7 on the 17x17 grid); widen the last modules with
parallel 1x3 and 3x1 outputs (Fig. 7, "expanded filter bank"); shrink the grid with
a stride-2 convolution and a pooling side by side, concatenated (Sec. 5, Fig. 10),
instead of pooling first (a representational bottleneck) or convolving at full
size first (expensive); one auxiliary classifier on the last 17x17 map, batch
normalised (Sec. 4, Fig. 8); and label-smoothing regularisation (Sec. 7), a
training option here (``TrainConfig.label_smoothing``), not a layer.

The network is built as Keras Applications' ``InceptionV3`` builds it (the model
released with the paper, also torchvision's and timm's), so Keras's weights port
(``convnets.from_keras``). The modules as data (``INCEPTION_V3_MODULES``), at 299x299:

    layer              output      module (widths)
    Conv2d_1a_3x3 /2   149x149x32  valid
    Conv2d_2a_3x3      147x147x32  valid
    Conv2d_2b_3x3      147x147x64
    MaxPool_3a 3x3/2   73x73x64
    Conv2d_3b_1x1      73x73x80
    Conv2d_4a_3x3      71x71x192   valid
    MaxPool_5a 3x3/2   35x35x192
    mixed0..mixed2     35x35x288   Fig. 5 as released: 1x1 64 | 1x1 48, 5x5 64 | 1x1 64, 3x3 96, 3x3 96 |
                                   avg pool, 1x1 32 (mixed0; 64 in mixed1-2)
    mixed3             17x17x768   Fig. 10: 3x3/2 384 | 1x1 64, 3x3 96, 3x3/2 96 | max pool 3x3/2
    mixed4..mixed7     17x17x768   Fig. 6, n = 7: 1x1 192 | 1x1 c, 1x7 c, 7x1 192 | 1x1 c, 7x1 c, 1x7 c,
                                   7x1 c, 1x7 192 | avg pool, 1x1 192; c = 128, 160, 160, 192
                                   <- auxiliary classifier (aux_logits=True)
    mixed8             8x8x1280    1x1 192, 3x3/2 320 | 1x1 192, 1x7 192, 7x1 192, 3x3/2 192 | max pool 3x3/2
    mixed9, mixed10    8x8x2048    Fig. 7: 1x1 320 | 1x1 384, (1x3 384 + 3x1 384) | 1x1 448, 3x3 384,
                                   (1x3 384 + 3x1 384) | avg pool, 1x1 192
    avg pool, linear   1000

Every convolution is bias-free, followed by BatchNorm without a learned scale
(Keras's ``scale=False``; epsilon 1e-3) and ReLU. The auxiliary head (TF-slim's
and torchvision's layout): 5x5/3 average pool (17 -> 5), 1x1 conv 128, 5x5 conv 768
(valid: 5 -> 1; on a smaller map the kernel shrinks to the map, as TF-slim does),
both with BatchNorm ("BN-auxiliary", Sec. 7), then global average pool and a linear
layer. It runs only with ``training=True``: the model then returns ``(logits, [aux])``
and the training loop adds ``TrainConfig.aux_weight`` x its loss (0.3 by default;
TF-slim and torchvision's recipe use 0.4). ``training_only()`` lists it for ``summarize``.

Exact counts, 1000 classes at 299x299 (trainable / total with BatchNorm statistics):
23,817,352 / 23,851,784, equal to Keras Applications (which has no auxiliary head);
5,713,216,096 MACs (5.713 G, also torchvision's and timm's). With ``aux_logits=True``
the head adds 3,325,800 trainable parameters (27,143,152). torchvision's 27,161,264
counts its auxiliary head, which it builds by default, and BatchNorm's gamma in all
94 + 2 BatchNorms (17,216 + 896): ``bn_scale=True, aux_logits=True`` gives exactly
27,161,264 and ``bn_scale=True`` alone timm's 23,834,568. torchvision also computes
differently elsewhere: its branch average pools count the zero padding
(``F.avg_pool2d(..., padding=1)``, Keras's and TF's exclude it), it has dropout 0.5
before the classifier, and its ImageNet weights re-map the input inside ``forward``
(``transform_input``). ``variant="torchvision"`` builds its eval-mode network (gamma in
every BatchNorm, zero-counting branch pools: 23,834,568 without the auxiliary head) for
``convnets.from_torch``; its ``transform_input`` amounts to the -1..1 input scaling that
``convnets convert-torch`` records. The abstract's "5 billion multiply-adds" is 12.5% below the
5.713 G that every implementation of the released network counts; the gap is not
reconciled here (the figure is rounded, and Table 1's layout is not the one released;
see below). The abstract's "less than 25 million parameters" holds.

Deviations from the paper, all the released model's (Keras, torchvision, timm):
- The 35x35 modules keep a 1x1 -> 5x5 branch beside the double 3x3 one, where
  Fig. 5 replaces the 5x5 by two 3x3s (the first module's pool branch has 32 filters).
- The stem after the first pool is 1x1 80, 3x3 192 (valid), max pool 3x3/2, where
  Table 1 lists conv 3x3/1, conv 3x3/2, conv 3x3/1 (80, 192 and 288 maps).
- BatchNorm has no gamma (``bn_scale=True`` adds it, as torchvision and timm have).
- No dropout before the classifier (``dropout``; TF-slim keeps 0.8, torchvision drops 0.5).
- Initialisation is Keras's Glorot-uniform, the auxiliary head's 5x5 conv and linear
  layer Gaussian with std 0.01 and 0.001 (TF-slim, torchvision).

``include_top=False`` returns mixed10's map (8x8x2048 at 299x299) and builds no
auxiliary head.

``inception_v3_mini`` (``INCEPTION_V3_MINI``) is for 32x32 images and Fashion-MNIST's
28x28x1, designed to reach 91% on Fashion-MNIST within 10 minutes of 2-core CPU
training: every idea once, at a cost a small image can pay. Measured: 92.46% after
the 5-epoch fast recipe (seed 0; docs/results.md), 135 s of training on quiet cores
(an earlier run that shared the cores with tests, before the tf.data fix: 615 s).
How: a stride-1 stem of one 3x3 conv (32 filters) and the 3x3/2 max pool (28 -> 13;
Keras's stem would leave a 28-pixel image 1x1 before the first module); one module
of each kind instead of 3 + 1 + 4 + 1 + 2 (Fig. 5 at 13x13, the Fig. 10 reduction to
6x6, Fig. 6 with n = 3 (a 1x7 on a 6x6 map is mostly padding), the second reduction
to 2x2, Fig. 7), at a quarter to a sixth of the widths; the auxiliary head is an
option there too (``aux_logits=True``: it reads the 6x6 map). 335,830 trainable
parameters and 8.5 M MACs at 28x28x1 (336,406 and 12.7 M at 32x32x3; the full
model's mixed0 alone costs 312 M).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import AvgPool2D, ConvBN, Dense, Dropout, GlobalAvgPool, MaxPool2D, init, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("inception_v3", "Inception-v3",
                Paper("Szegedy, Vanhoucke, Ioffe, Shlens & Wojna",
                      "Rethinking the Inception Architecture for Computer Vision", 2015, "1512.00567"),
                full="inception_v3", mini="inception_v3_mini",
                problem="inception's cost and its large kernels",
                idea="factorised convolutions (5x5 as two 3x3, 7x7 as 1x7 and 7x1), label smoothing")

Unit = Callable[..., ConvBN]  # conv (no bias) + BatchNorm + ReLU: unit(cin, cout, kernel, stride, padding, name=)


def conv_unit(bn_scale: bool = False) -> Unit:
    """Keras's ``conv2d_bn``: a bias-free convolution, BatchNorm (epsilon 1e-3, gamma only with ``bn_scale``), ReLU."""
    return partial(ConvBN, act="relu", bn_epsilon=1e-3, bn_scale=bn_scale, w_init="glorot_uniform")


def build_stem(rows: Any, channels: int, unit: Unit) -> tuple[list[Layer], int]:
    """The stem's layers from its rows (a ``StemConv``, or a name for a 3x3/2 max pool), and its output channels.

    Shared with Inception-ResNet-v2, whose stem is the same kind of rows."""
    layers: list[Layer] = []
    for row in rows:
        if isinstance(row, str):
            layers.append(MaxPool2D(3, 2, name=row))
        else:
            layers.append(unit(channels, row.filters, row.kernel, row.stride, row.padding, name=row.name))
            channels = row.filters
    return layers, channels


# --- the modules as data: each row names its widths after the paper's figures ----------------------

class StemConv(NamedTuple):
    """A stem convolution: Table 1's first rows, as released."""

    name: str
    filters: int
    kernel: int
    stride: int
    padding: str


class ModuleA(NamedTuple):
    """Fig. 5 (35x35) as released: 1x1 | 1x1, 5x5 | 1x1, 3x3, 3x3 | avg pool, 1x1."""

    n1x1: int
    n5x5_reduce: int
    n5x5: int
    n3x3dbl_reduce: int
    n3x3dbl: int
    pool_proj: int


class ReductionA(NamedTuple):
    """Fig. 10 (35 -> 17): 3x3/2 | 1x1, 3x3, 3x3/2 | max pool 3x3/2, concatenated."""

    n3x3: int
    n3x3dbl_reduce: int
    n3x3dbl: int


class ModuleC(NamedTuple):
    """Fig. 6 (17x17): 1x1 | 1x1, 1xn, nx1 | 1x1, nx1, 1xn, nx1, 1xn | avg pool, 1x1."""

    n1x1: int
    n7x7_reduce: int  # the factorised branches' inner width (torchvision's channels_7x7)
    n7x7: int  # both factorised branches' output
    pool_proj: int
    n: int = 7  # "we have found ... very good results by using n = 7" on the 17x17 grid (Sec. 3.2)


class ReductionB(NamedTuple):
    """17 -> 8: 1x1, 3x3/2 | 1x1, 1x7, 7x1, 3x3/2 | max pool 3x3/2 (Fig. 10's idea again)."""

    n3x3_reduce: int
    n3x3: int
    n7x7x3: int
    n: int = 7  # its 1 x n and n x 1 pair, as in the Fig. 6 modules before it


class ModuleE(NamedTuple):
    """Fig. 7 (8x8): 1x1 | 1x1, (1x3 + 3x1) | 1x1, 3x3, (1x3 + 3x1) | avg pool, 1x1."""

    n1x1: int
    n3x3_reduce: int
    n3x3: int  # each of the 1x3 and 3x1 outputs
    n3x3dbl_reduce: int
    n3x3dbl: int  # the 3x3 and each of its 1x3 and 3x1 outputs
    pool_proj: int


ModuleSpec = ModuleA | ReductionA | ModuleC | ReductionB | ModuleE

STEM = (
    StemConv("Conv2d_1a_3x3", 32, 3, 2, "valid"),  # 149x149x32
    StemConv("Conv2d_2a_3x3", 32, 3, 1, "valid"),  # 147x147x32
    StemConv("Conv2d_2b_3x3", 64, 3, 1, "same"),  # 147x147x64
    "MaxPool_3a_3x3",  # 73x73x64
    StemConv("Conv2d_3b_1x1", 80, 1, 1, "valid"),  # 73x73x80
    StemConv("Conv2d_4a_3x3", 192, 3, 1, "valid"),  # 71x71x192
    "MaxPool_5a_3x3",  # 35x35x192
)

INCEPTION_V3_MODULES: tuple[ModuleSpec, ...] = (
    ModuleA(64, 48, 64, 64, 96, 32),  # mixed0: 35x35x256
    ModuleA(64, 48, 64, 64, 96, 64),  # mixed1: 35x35x288
    ModuleA(64, 48, 64, 64, 96, 64),  # mixed2: 35x35x288
    ReductionA(384, 64, 96),  # mixed3: 17x17x768
    ModuleC(192, 128, 192, 192),  # mixed4: 17x17x768
    ModuleC(192, 160, 192, 192),  # mixed5
    ModuleC(192, 160, 192, 192),  # mixed6
    ModuleC(192, 192, 192, 192),  # mixed7 <- auxiliary classifier
    ReductionB(192, 320, 192),  # mixed8: 8x8x1280
    ModuleE(320, 384, 384, 448, 384, 192),  # mixed9: 8x8x2048
    ModuleE(320, 384, 384, 448, 384, 192),  # mixed10: 8x8x2048
)


@dataclass(frozen=True)
class InceptionV3Config:
    """The released network's layout as data; the mini's differences are fields too."""

    stem: tuple[StemConv | str, ...] = STEM  # convolutions, and the names of the 3x3/2 max pools between them
    modules: tuple[ModuleSpec, ...] = INCEPTION_V3_MODULES  # mixed0, mixed1, ...
    aux_after: int = 7  # the module the auxiliary head reads: "the last 17x17 layer" (Fig. 8), mixed7
    aux_widths: tuple[int, int] = (128, 768)  # its 1x1 conv and 5x5 conv (TF-slim, torchvision)


INCEPTION_V3 = InceptionV3Config()
INCEPTION_V3_MINI = InceptionV3Config(
    stem=(StemConv("Conv2d_1a_3x3", 32, 3, 1, "same"), "MaxPool_3a_3x3"),  # 28x28 -> 13x13
    modules=(
        ModuleA(16, 12, 16, 16, 24, 16),  # mixed0: 13x13x72
        ReductionA(48, 16, 24),  # mixed1: 6x6x144
        ModuleC(48, 32, 48, 48, n=3),  # mixed2: 6x6x192 <- auxiliary classifier
        ReductionB(48, 64, 48, n=3),  # mixed3: 2x2x304
        ModuleE(48, 64, 64, 64, 64, 32),  # mixed4: 2x2x336
    ),
    aux_after=2,
    aux_widths=(32, 192),
)


# --- blocks -------------------------------------------------------------------------------------------

def _concat_shape(input_shape: Shape, branches: list[list[Layer]], extra_channels: int = 0) -> Shape:
    """Thread each branch; the spatial size of the first, the channels of all (plus a pool's)."""
    shapes = [thread_shape(b, input_shape) for b in branches]
    return (*shapes[0][:2], sum(s[2] for s in shapes) + extra_channels)


class InceptionA(Block):
    """Fig. 5 as released (35x35): four branches, concatenated."""

    def __init__(self, cin: int, s: ModuleA, unit: Unit, name: str, avg_pad: str | int = "same"):
        super().__init__(name=name)
        self.branch1x1 = unit(cin, s.n1x1, 1, name="branch1x1")
        self.branch5x5_1 = unit(cin, s.n5x5_reduce, 1, name="branch5x5_1")
        self.branch5x5_2 = unit(s.n5x5_reduce, s.n5x5, 5, name="branch5x5_2")
        self.branch3x3dbl_1 = unit(cin, s.n3x3dbl_reduce, 1, name="branch3x3dbl_1")
        self.branch3x3dbl_2 = unit(s.n3x3dbl_reduce, s.n3x3dbl, 3, name="branch3x3dbl_2")
        self.branch3x3dbl_3 = unit(s.n3x3dbl, s.n3x3dbl, 3, name="branch3x3dbl_3")
        self.pool = AvgPool2D(3, 1, avg_pad, name="pool")  # "same": real pixels only; 1: zeros count
        self.branch_pool = unit(cin, s.pool_proj, 1, name="branch_pool")
        self.out_channels = s.n1x1 + s.n5x5 + s.n3x3dbl + s.pool_proj

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training  # branches in Keras's order (its unnamed layers are matched in that order)
        b1 = self.branch1x1(x, training=t)
        b5 = self.branch5x5_2(self.branch5x5_1(x, training=t), training=t)
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x, training=t), training=t), training=t)
        bp = self.branch_pool(self.pool(x), training=t)
        return tf.concat([b1, b5, b3, bp], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


class GridReductionA(Block):
    """Fig. 10 (35 -> 17): a stride-2 conv, a stride-2 double 3x3 and a max pool side by side."""

    def __init__(self, cin: int, s: ReductionA, unit: Unit, name: str):
        super().__init__(name=name)
        self.branch3x3 = unit(cin, s.n3x3, 3, 2, "valid", name="branch3x3")
        self.branch3x3dbl_1 = unit(cin, s.n3x3dbl_reduce, 1, name="branch3x3dbl_1")
        self.branch3x3dbl_2 = unit(s.n3x3dbl_reduce, s.n3x3dbl, 3, name="branch3x3dbl_2")
        self.branch3x3dbl_3 = unit(s.n3x3dbl, s.n3x3dbl, 3, 2, "valid", name="branch3x3dbl_3")
        self.pool = MaxPool2D(3, 2, name="pool")
        self.out_channels = s.n3x3 + s.n3x3dbl + cin

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        b3 = self.branch3x3(x, training=t)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x, training=t), training=t), training=t)
        return tf.concat([b3, bd, self.pool(x)], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return _concat_shape(input_shape, [[self.branch3x3], [self.branch3x3dbl_1, self.branch3x3dbl_2,
                                                              self.branch3x3dbl_3]], input_shape[2])


class InceptionC(Block):
    """Fig. 6 (17x17): n x n convolutions factorised into 1 x n and n x 1."""

    def __init__(self, cin: int, s: ModuleC, unit: Unit, name: str, avg_pad: str | int = "same"):
        super().__init__(name=name)
        c, n = s.n7x7_reduce, s.n
        self.branch1x1 = unit(cin, s.n1x1, 1, name="branch1x1")
        self.branch7x7_1 = unit(cin, c, 1, name="branch7x7_1")
        self.branch7x7_2 = unit(c, c, (1, n), name="branch7x7_2")
        self.branch7x7_3 = unit(c, s.n7x7, (n, 1), name="branch7x7_3")
        self.branch7x7dbl_1 = unit(cin, c, 1, name="branch7x7dbl_1")
        self.branch7x7dbl_2 = unit(c, c, (n, 1), name="branch7x7dbl_2")
        self.branch7x7dbl_3 = unit(c, c, (1, n), name="branch7x7dbl_3")
        self.branch7x7dbl_4 = unit(c, c, (n, 1), name="branch7x7dbl_4")
        self.branch7x7dbl_5 = unit(c, s.n7x7, (1, n), name="branch7x7dbl_5")
        self.pool = AvgPool2D(3, 1, avg_pad, name="pool")  # "same": real pixels only; 1: zeros count
        self.branch_pool = unit(cin, s.pool_proj, 1, name="branch_pool")
        self.out_channels = s.n1x1 + 2 * s.n7x7 + s.pool_proj

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        b1 = self.branch1x1(x, training=t)
        b7 = x
        for layer in (self.branch7x7_1, self.branch7x7_2, self.branch7x7_3):
            b7 = layer(b7, training=t)
        bd = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            bd = layer(bd, training=t)
        bp = self.branch_pool(self.pool(x), training=t)
        return tf.concat([b1, b7, bd, bp], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


class GridReductionB(Block):
    """17 -> 8: 1x1 then 3x3/2 | 1x1, 1x7, 7x1, 3x3/2 | max pool 3x3/2, concatenated."""

    def __init__(self, cin: int, s: ReductionB, unit: Unit, name: str):
        super().__init__(name=name)
        n = s.n
        self.branch3x3_1 = unit(cin, s.n3x3_reduce, 1, name="branch3x3_1")
        self.branch3x3_2 = unit(s.n3x3_reduce, s.n3x3, 3, 2, "valid", name="branch3x3_2")
        self.branch7x7x3_1 = unit(cin, s.n7x7x3, 1, name="branch7x7x3_1")
        self.branch7x7x3_2 = unit(s.n7x7x3, s.n7x7x3, (1, n), name="branch7x7x3_2")
        self.branch7x7x3_3 = unit(s.n7x7x3, s.n7x7x3, (n, 1), name="branch7x7x3_3")
        self.branch7x7x3_4 = unit(s.n7x7x3, s.n7x7x3, 3, 2, "valid", name="branch7x7x3_4")
        self.pool = MaxPool2D(3, 2, name="pool")
        self.out_channels = s.n3x3 + s.n7x7x3 + cin

    def _paths(self) -> list[list[Layer]]:
        return [[self.branch3x3_1, self.branch3x3_2],
                [self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4]]

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        outs = []
        for path in self._paths():
            y = x
            for layer in path:
                y = layer(y, training=training)
            outs.append(y)
        return tf.concat([*outs, self.pool(x)], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return _concat_shape(input_shape, self._paths(), input_shape[2])


class InceptionE(Block):
    """Fig. 7 (8x8): the expanded filter bank, 1x3 and 3x1 outputs side by side."""

    def __init__(self, cin: int, s: ModuleE, unit: Unit, name: str, avg_pad: str | int = "same"):
        super().__init__(name=name)
        self.branch1x1 = unit(cin, s.n1x1, 1, name="branch1x1")
        self.branch3x3_1 = unit(cin, s.n3x3_reduce, 1, name="branch3x3_1")
        self.branch3x3_2a = unit(s.n3x3_reduce, s.n3x3, (1, 3), name="branch3x3_2a")
        self.branch3x3_2b = unit(s.n3x3_reduce, s.n3x3, (3, 1), name="branch3x3_2b")
        self.branch3x3dbl_1 = unit(cin, s.n3x3dbl_reduce, 1, name="branch3x3dbl_1")
        self.branch3x3dbl_2 = unit(s.n3x3dbl_reduce, s.n3x3dbl, 3, name="branch3x3dbl_2")
        self.branch3x3dbl_3a = unit(s.n3x3dbl, s.n3x3dbl, (1, 3), name="branch3x3dbl_3a")
        self.branch3x3dbl_3b = unit(s.n3x3dbl, s.n3x3dbl, (3, 1), name="branch3x3dbl_3b")
        self.pool = AvgPool2D(3, 1, avg_pad, name="pool")  # "same": real pixels only; 1: zeros count
        self.branch_pool = unit(cin, s.pool_proj, 1, name="branch_pool")
        self.out_channels = s.n1x1 + 2 * s.n3x3 + 2 * s.n3x3dbl + s.pool_proj

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        b1 = self.branch1x1(x, training=t)
        b3 = self.branch3x3_1(x, training=t)
        b3 = tf.concat([self.branch3x3_2a(b3, training=t), self.branch3x3_2b(b3, training=t)], axis=-1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x, training=t), training=t)
        bd = tf.concat([self.branch3x3dbl_3a(bd, training=t), self.branch3x3dbl_3b(bd, training=t)], axis=-1)
        bp = self.branch_pool(self.pool(x), training=t)
        return tf.concat([b1, b3, bd, bp], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


def _module(cin: int, spec: ModuleSpec, unit: Unit, name: str, avg_pad: str | int = "same") -> Block:
    if isinstance(spec, ModuleA):
        return InceptionA(cin, spec, unit, name, avg_pad)
    if isinstance(spec, ReductionA):
        return GridReductionA(cin, spec, unit, name)
    if isinstance(spec, ModuleC):
        return InceptionC(cin, spec, unit, name, avg_pad)
    if isinstance(spec, ReductionB):
        return GridReductionB(cin, spec, unit, name)
    if isinstance(spec, ModuleE):
        return InceptionE(cin, spec, unit, name, avg_pad)
    raise ConfigError(f"{name}: unknown Inception-v3 module {spec!r}")


class AuxHead(Block):
    """Fig. 8's auxiliary classifier as released: 5x5/3 avg pool, 1x1 conv, 5x5 conv (both batch-normalised), linear."""

    def __init__(self, in_shape: Shape, num_classes: int, widths: tuple[int, int], unit: Unit, name: str = "aux"):
        super().__init__(name=name)
        reduce, width = widths
        self.pool = AvgPool2D(5, 3, name="pool")  # 17x17 -> 5x5
        h, w, c = self.pool.output_shape(in_shape)
        self.conv0 = unit(c, reduce, 1, name="conv0")
        # TF-slim shrinks the 5x5 kernel to a smaller map ("_reduced_kernel_size_for_small_input").
        self.conv1 = unit(reduce, width, (min(5, h), min(5, w)), 1, "valid", w_init=init.normal(0.01), name="conv1")
        self.gap = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(width, num_classes, w_init=init.normal(0.001), name="fc")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(self.conv0(self.pool(x), training=training), training=training)
        return self.fc(self.gap(x))

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.fc.out_features,)


# --- the network ----------------------------------------------------------------------------------------

class InceptionV3(Model):
    """The released Inception-v3: stem, eleven modules (mixed0..mixed10), average pool and a linear classifier.

    Options: ``aux_logits`` (the auxiliary head of Fig. 8; off, as in Keras, so the counts are Keras's; in training
    the model then returns ``(logits, [aux])``), ``bn_scale`` (BatchNorm with gamma, as torchvision and timm),
    ``dropout`` before the classifier (none, as Keras), ``variant``: "keras", or "torchvision" (BatchNorm
    with gamma, branch average pools that count their zero padding: its weights, through ``from_torch``).
    """

    def __init__(self, config: InceptionV3Config, *, num_classes: int = 1000, input_shape: Shape = (299, 299, 3),
                 include_top: bool = True, pooling: str | None = None, aux_logits: bool = False,
                 bn_scale: bool = False, dropout: float = 0.0, variant: str = "keras", name: str = "inception_v3"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if variant not in ("keras", "torchvision"):
            raise ConfigError(f"inception_v3: variant must be 'keras' or 'torchvision', got {variant!r}")
        # torchvision: F.avg_pool2d(x, 3, 1, padding=1) counts the padding's zeros in each average.
        avg_pad: str | int = "same" if variant == "keras" else 1
        unit = conv_unit(bn_scale or variant == "torchvision")
        self.stem, c = build_stem(config.stem, input_shape[2], unit)
        self.blocks: list[Block] = []
        self.aux: AuxHead | None = None
        for i, spec in enumerate(config.modules):
            block = _module(c, spec, unit, f"mixed{i}", avg_pad)
            self.blocks.append(block)
            c = block.out_channels
            if include_top and aux_logits and i == config.aux_after:  # its 5x5 conv depends on the map's size
                shape = thread_shape((*self.stem, *self.blocks), input_shape)
                self.aux = AuxHead(shape, num_classes, config.aux_widths, unit)
        self._aux_after = config.aux_after
        self.num_features = c  # 2048
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(self.num_features, num_classes, name="fc") if include_top else None

    def _features(self, x: tf.Tensor, training: bool, aux: bool) -> tuple[tf.Tensor, list[tf.Tensor]]:
        for layer in self.stem:
            x = layer(x, training=training)
        aux_out = []
        for i, block in enumerate(self.blocks):
            x = block(x, training=training)
            if aux and i == self._aux_after:
                aux_out.append(self.aux(x, training=training))
        return x, aux_out

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self._features(x, training, aux=False)[0]  # 8x8x2048 at 299x299

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def forward(self, x: tf.Tensor, training: bool = False) -> Any:
        if not (training and self.aux is not None):  # the auxiliary head runs only in training
            return super().forward(x, training=training)
        x, aux_out = self._features(x, training, aux=True)
        return self.forward_head(x, training=training), aux_out

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.stem, *self.blocks), input_shape)

    def training_only(self) -> list[tuple[Block, Shape]]:
        """The auxiliary head, with the shape of the map it reads (for ``summarize``)."""
        if self.aux is None:
            return []
        return [(self.aux, thread_shape((*self.stem, *self.blocks[: self._aux_after + 1]), self.input_shape))]

    @property
    def main_params(self) -> int:
        """Trainable parameters without the auxiliary head (what inference keeps)."""
        return self.trainable_params - (self.aux.trainable_params if self.aux is not None else 0)


KERAS = "Keras Applications"


@register(FAMILY, params=(23_817_352, 23_851_784), macs=5_713_216_096,
          references=[Reference(KERAS, 23_817_352, 23_851_784), Reference("timm", 23_834_568, options={"bn_scale": True}),
                      Reference("torchvision", 27_161_264, options={"aux_logits": True, "bn_scale": True})],
          paper_params='"less than 25 million" (abstract)', paper_macs=(5e9, "abstract"), macs_tolerance=0.15,
          note="the released network, as Keras builds it; the abstract's rounded 5 G is 12.5% below its 5.713 G",
          top1=(78.8, "paper, single crop (Keras 77.9, torchvision 77.29)"))
def inception_v3(*, num_classes: int = 1000, input_shape: Shape = (299, 299, 3), **options: Any) -> InceptionV3:
    """Inception-v3 as released (Keras Applications' layout, weights port); 23,817,352 params, 299x299."""
    return InceptionV3(INCEPTION_V3, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(336_406, 339_374), macs=12_700_896, mini=True)
def inception_v3_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> InceptionV3:
    """Inception-v3 mini: stride-1 stem, one module of each kind (Figs. 5, 10, 6, 7) at ~1/4 width; for 32x32."""
    return InceptionV3(INCEPTION_V3_MINI, num_classes=num_classes, input_shape=input_shape,
                       name="inception_v3_mini", **options)
