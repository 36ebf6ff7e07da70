"""RegNet: Radosavovic, Kosaraju, Girshick, He & Dollar, "Designing Network Design
Spaces", CVPR 2020 (https://arxiv.org/abs/2003.13678).

Instead of searching for one network, the paper designs the *space* networks are
drawn from: starting from AnyNet (a stem, four stages of residual bottleneck blocks
with free widths, depths, group widths and bottleneck ratios, a head), each step
keeps the constraints under which random samples get better (Sec. 3-4): one
bottleneck ratio b and one group width g for all stages, widths and depths that grow
stage by stage. What is left, RegNet (Sec. 3.3), is a *quantized linear* rule for the
per-block widths, five numbers for a whole network (depth d, w0, wa, wm, g):

    u_j = w0 + wa * j,                 0 <= j < d        (eq. 2: a line in the block index)
    s_j = log(u_j / w0) / log(wm)                         (eq. 3: its position in steps of wm)
    w_j = w0 * wm ** round(s_j)                           (eq. 4: quantized to powers of wm)

then rounded to a multiple of 8; blocks of equal width form a stage (four here).
The best models have b = 1 (no bottleneck), and the bottleneck width is then made a
multiple of the group width (``compatible_widths``). Every stage starts with a stride-2
block.

The X block (Fig. 4, ResNeXt's): 1x1 conv-BN-ReLU, 3x3 group conv (groups of g
channels, the stage's stride) BN-ReLU, 1x1 conv-BN, plus the input (a 1x1 conv-BN
projection where the shape changes), then ReLU. RegNetY (Sec. 5, "RegNetX with SE")
adds squeeze-and-excitation after the 3x3 conv, its bottleneck a quarter of the
block's *input* width (pycls's ``se_r * w_in``; torchvision, timm and Keras do the same).
Stem: 3x3 conv, 32 filters, stride 2 (BN-ReLU); head: global average pool and fc,
initialised N(0, 0.01) as pycls and torchvision do (the logits start near zero).

The sizes are the authors' released models (pycls ``configs/dds_baselines``, as data in
``POINTS``: w0, wa, wm, d, g), named by their 224x224 MACs, and built here as pycls
builds them: BatchNorm epsilon 1e-5 and symmetric 1-pixel padding (tf_keras pads
TensorFlow "same", one pixel at the bottom/right only, for its stride-2 layers: the
counts do not change). Exact counts (trainable = pycls = timm ``regnetx_*`` /
``regnety_*`` = tf_keras ``RegNetX*``/``RegNetY*``; total adds BatchNorm statistics,
equal to tf_keras's total), MACs at 224x224, and pycls's MODEL_ZOO (params,
"flops", which are MACs, top-1 error):

    model           trainable    total         MACs              pycls zoo
    regnet_x_200mf    2,684,792    2,705,640     199,039,872      2.7M  0.2B  31.1
    regnet_x_400mf    5,157,512    5,194,184     397,677,568      5.2M  0.4B  27.3
    regnet_x_600mf    6,196,040    6,229,320     600,890,112      6.2M  0.6B  25.9
    regnet_x_800mf    7,259,656    7,296,968     799,699,712      7.3M  0.8B  24.8
    regnet_x_1_6gf    9,190,136    9,233,640   1,602,849,792      9.2M  1.6B  23.0
    regnet_x_3_2gf   15,296,552   15,359,112   3,176,621,952     15.3M  3.2B  21.7
    regnet_x_4gf     22,118,248   22,194,312   3,964,498,816     22.1M  4.0B  21.4
    regnet_x_6_4gf   26,209,256   26,283,464   6,460,291,264     26.2M  6.5B  20.8
    regnet_x_8gf     39,572,648   39,663,112   7,995,132,416     39.6M  8.0B  20.7
    regnet_x_12gf    46,106,056   46,202,440  12,086,678,016     46.1M 12.1B  20.3
    regnet_x_16gf    54,278,536   54,389,704  15,940,755,456     54.3M 15.9B  20.0
    regnet_x_32gf   107,811,560  107,973,576  31,735,929,792    107.8M 31.7B  19.5
    regnet_y_200mf    3,162,996    3,183,844     199,514,080      3.2M  0.2B  29.6
    regnet_y_400mf    4,344,144    4,371,296     401,842,848      4.3M  0.4B  25.9
    regnet_y_600mf    6,055,160    6,084,920     601,220,992      6.1M  0.6B  24.5
    regnet_y_800mf    6,263,168    6,293,056     797,176,832      6.3M  0.8B  23.7
    regnet_y_1_6gf   11,202,430   11,255,102   1,612,076,160     11.2M  1.6B  22.0
    regnet_y_3_2gf   19,436,338   19,502,498   3,176,482,752     19.4M  3.2B  21.0
    regnet_y_4gf     20,646,656   20,708,928   3,973,288,448     20.6M  4.0B  20.6
    regnet_y_6_4gf   30,583,252   30,665,684   6,355,204,992     30.6M  6.4B  20.1
    regnet_y_8gf     39,180,068   39,265,812   7,963,057,312     39.2M  8.0B  20.1
    regnet_y_12gf    51,822,544   51,918,928  12,092,376,576     51.8M 12.1B  19.7
    regnet_y_16gf    83,590,140   83,712,956  15,911,510,272     83.6M 15.9B  19.6
    regnet_y_32gf   145,046,770  145,205,058  32,279,552,832    145.0M 32.3B  19.0

``variant="torchvision"``: torchvision rounds the bottleneck widths with
``_make_divisible`` (to the nearest multiple of the group width, half up, never 10%
below) where pycls rounds with ``round`` (half to even, may lose more): the same
networks except X-400MF (widths 32, 64, 160, 400 instead of 384: 5,495,976
parameters, 413.8 M MACs), Y-800MF (64, 144, 320, 784: 6,432,512, 833.9 M) and
Y-8GF (224, 448, 896, 2016: 39,381,472, 8.473 G), and X-4GF/Y-4GF, which torchvision
does not ship. Its weights load through ``convnets.from_torch`` (timm's ``*_tv``
models are the same three). torchvision's ``regnet_y_128gf`` (SWAG, 644.8M) is not
built here.

``regnet_mini`` keeps the design space for 28x28 and 32x32 images: a RegNetY (SE
kept) drawn from the same rule with w0 = 32, wa = 24, wm = 2, d = 7, g = 8, which
quantizes into three stages (32 x 1, 64 x 2, 128 x 4 blocks: widths times depths), and
the stem's stride 2, so the three stride-2 stages take 32x32 to 2x2: 238,682 parameters,
2.1 M MACs at 32x32. Scaled so: the rule's d and w0 set depth and width for a
budget of a few minutes on a CPU (three stages, not four, which would reduce 32x32 to
1x1); a stride-1 stem (8.2 M MACs) trained at 363 img/s on this 2-core CPU, stride 2 at
about 1,100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import BatchNorm, Conv2D, ConvBN, Dense, GlobalAvgPool, SqueezeExcite, init, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.mobilenet import make_divisible
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("regnet", "RegNet",
                Paper("Radosavovic, Kosaraju, Girshick, He & Dollar", "Designing Network Design Spaces", 2020,
                      "2003.13678"),
                full="regnet_y_400mf", mini="regnet_mini",
                problem="a search finds one good network, not the rules that make networks good",
                idea="design the space: widths on a quantized line, one group width, a handful of numbers")

VARIANTS = ("pycls", "torchvision")


class Point(NamedTuple):
    """A RegNet as the paper parameterises it (Sec. 3.3): initial width w0, slope wa, width multiplier wm,
    depth d (blocks in all), group width g, and whether its blocks are Y blocks (with SE)."""

    w0: int
    wa: float
    wm: float
    depth: int
    group_width: int
    se: bool = False


# pycls configs/dds_baselines (RegNetX-*, RegNetY-*): w0, wa, wm, d, g.
POINTS: dict[str, Point] = {
    "x_200mf": Point(24, 36.44, 2.49, 13, 8), "x_400mf": Point(24, 24.48, 2.54, 22, 16),
    "x_600mf": Point(48, 36.97, 2.24, 16, 24), "x_800mf": Point(56, 35.73, 2.28, 16, 16),
    "x_1_6gf": Point(80, 34.01, 2.25, 18, 24), "x_3_2gf": Point(88, 26.31, 2.25, 25, 48),
    "x_4gf": Point(96, 38.65, 2.43, 23, 40), "x_6_4gf": Point(184, 60.83, 2.07, 17, 56),
    "x_8gf": Point(80, 49.56, 2.88, 23, 120), "x_12gf": Point(168, 73.36, 2.37, 19, 112),
    "x_16gf": Point(216, 55.59, 2.1, 22, 128), "x_32gf": Point(320, 69.86, 2.0, 23, 168),
    "y_200mf": Point(24, 36.44, 2.49, 13, 8, True), "y_400mf": Point(48, 27.89, 2.09, 16, 8, True),
    "y_600mf": Point(48, 32.54, 2.32, 15, 16, True), "y_800mf": Point(56, 38.84, 2.4, 14, 16, True),
    "y_1_6gf": Point(48, 20.71, 2.65, 27, 24, True), "y_3_2gf": Point(80, 42.63, 2.66, 21, 24, True),
    "y_4gf": Point(96, 31.41, 2.24, 22, 64, True), "y_6_4gf": Point(112, 33.22, 2.27, 25, 72, True),
    "y_8gf": Point(192, 76.82, 2.19, 17, 56, True), "y_12gf": Point(168, 73.36, 2.37, 19, 112, True),
    "y_16gf": Point(200, 106.23, 2.48, 18, 112, True), "y_32gf": Point(232, 115.89, 2.53, 20, 232, True),
}
MINI = Point(32, 24.0, 2.0, 7, 8, True)


def block_widths(w0: int, wa: float, wm: float, depth: int, q: int = 8) -> list[int]:
    """Sec. 3.3, eqs. 2-4: each block's width on the line w0 + wa * j, quantized to w0 * wm^k, then to a
    multiple of ``q`` (8)."""
    if w0 <= 0 or w0 % q or wa < 0 or wm <= 1 or depth < 1:
        raise ConfigError(f"RegNet needs w0 > 0 a multiple of {q}, wa >= 0, wm > 1 and depth >= 1; "
                          f"got w0={w0}, wa={wa}, wm={wm}, depth={depth}")
    widths = []
    for j in range(depth):
        s = round(math.log((w0 + wa * j) / w0) / math.log(wm))  # eq. 3, rounded
        widths.append(int(round(w0 * wm ** s / q) * q))  # eq. 4, then a multiple of q
    return widths


def stages(widths: list[int]) -> list[tuple[int, int]]:
    """(width, depth) per stage: the runs of equal block widths."""
    out: list[list[int]] = []
    for w in widths:
        if out and out[-1][0] == w:
            out[-1][1] += 1
        else:
            out.append([w, 1])
    return [(w, d) for w, d in out]


def compatible_widths(widths: list[int], group_width: int, variant: str = "pycls",
                      bottleneck: float = 1.0) -> tuple[list[int], list[int]]:
    """Stage widths whose bottleneck width (w * b) is a whole number of groups, and each stage's group width
    (at most its bottleneck width). pycls's ``adjust_block_compatibility`` rounds with Python's ``round``;
    torchvision's ``_adjust_widths_groups_compatibilty`` with ``_make_divisible``."""
    out_w, out_g = [], []
    for w in widths:
        wb = int(w * bottleneck)
        g = min(group_width, wb)
        wb = max(g, int(round(wb / g) * g)) if variant == "pycls" else make_divisible(wb, g)
        out_w.append(int(wb / bottleneck))
        out_g.append(g)
    return out_w, out_g


@dataclass(frozen=True)
class RegNetConfig:
    """A point of the design space, resolved into stages."""

    point: Point
    stem_width: int = 32  # Sec. 3.1: the stem is a 3x3 conv of 32 filters, stride 2
    stem_stride: int = 2  # 1 in the mini
    se_ratio: float = 0.25  # RegNetY's SE bottleneck, relative to the block input width
    bottleneck: float = 1.0  # b, 1 for the released models (Sec. 4)

    def stages(self, variant: str = "pycls") -> list[tuple[int, int, int]]:
        """(width, depth, group width) per stage."""
        p = self.point
        raw = stages(block_widths(p.w0, p.wa, p.wm, p.depth))
        widths, groups = compatible_widths([w for w, _ in raw], p.group_width, variant, self.bottleneck)
        return [(w, d, g) for w, (_, d), g in zip(widths, raw, groups)]


class GroupConvBN(Block):
    """The X block's 3x3 group convolution (groups of ``group_width`` channels), BN and ReLU."""

    def __init__(self, channels: int, group_width: int, stride: int, bn: dict, name: str = "b"):
        super().__init__(name=name)
        self.conv = Conv2D(channels, channels, 3, stride, padding=1, groups=channels // group_width, use_bias=False,
                           w_init="he_normal", name="conv")
        self.bn = BatchNorm(channels, name="bn", **bn)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.nn.relu(self.bn(self.conv(x), training=training))

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)


class RegNetBlock(Block):
    """Fig. 4's X block (pycls ``ResBottleneckBlock``): ``a`` 1x1, ``b`` 3x3 group conv (the stride), ``se``
    (Y blocks: squeeze-and-excite with round(se_ratio * input width) hidden units), ``c`` 1x1 (linear),
    plus the input or its 1x1 projection ``proj``, then ReLU. The projection runs first, as pycls and
    torchvision register it (the order ``from_torch`` pairs the layers in)."""

    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float | None,
                 bottleneck: float, bn: dict, name: str):
        super().__init__(name=name)
        wb = int(round(cout * bottleneck))
        self.proj = (ConvBN(cin, cout, 1, stride, "valid", act=None, name="proj", **_convbn(bn))
                     if cin != cout or stride != 1 else None)
        self.a = ConvBN(cin, wb, 1, 1, "valid", name="a", **_convbn(bn))
        self.b = GroupConvBN(wb, group_width, stride, bn, name="b")
        self.se = SqueezeExcite(wb, hidden=int(round(se_ratio * cin)), name="se") if se_ratio else None
        self.c = ConvBN(wb, cout, 1, 1, "valid", act=None, name="c", **_convbn(bn))
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        shortcut = x if self.proj is None else self.proj(x, training=training)
        y = self.b(self.a(x, training=training), training=training)
        if self.se is not None:
            y = self.se(y)
        return tf.nn.relu(shortcut + self.c(y, training=training))

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.a, self.b, self.c), input_shape)


def _convbn(bn: dict) -> dict:
    return dict(bn_epsilon=bn["epsilon"], bn_momentum=bn["momentum"], w_init="he_normal")


class RegNet(Model):
    """Stem (3x3, 32, stride 2), four stages of X or Y blocks from the design-space rule, average pool, fc.

    Options: ``variant`` ("pycls": the authors' width rounding, also timm's and tf_keras's; "torchvision":
    torchvision's, for its weights).
    """

    def __init__(self, config: RegNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, variant: str = "pycls",
                 name: str = "regnet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if variant not in VARIANTS:
            raise ConfigError(f"{name}: variant must be 'pycls' or 'torchvision', got {variant!r}")
        bn = dict(epsilon=1e-5, momentum=0.9)  # pycls: BN eps 1e-5, momentum 0.1 (torch's convention)
        self.stem = ConvBN(input_shape[2], config.stem_width, 3, config.stem_stride, 1, name="stem",
                           **_convbn(bn))
        self.blocks: list[Layer] = []
        c = config.stem_width
        se = config.se_ratio if config.point.se else None
        for i, (width, depth, group) in enumerate(config.stages(variant), start=1):
            for j in range(depth):
                self.blocks.append(RegNetBlock(c, width, 2 if j == 0 else 1, group, se, config.bottleneck, bn,
                                               name=f"s{i}_b{j + 1}"))
                c = width
        self.num_features = c
        self.pool = GlobalAvgPool(name="avg_pool")
        # pycls's (and torchvision's) classifier init, N(0, 0.01): the logits start near zero, where the sum of
        # ReLU'd residual stages would make them large
        self.fc = Dense(c, num_classes, w_init=init.normal(0.01), name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (self.stem, *self.blocks):
            x = layer(x, training=training)
        return x  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.stem, *self.blocks), input_shape)


PYCLS, TIMM, TF_KERAS, TORCHVISION = "pycls", "timm", "tf_keras Applications (Keras 2)", "torchvision"
# name: (trainable, total, MACs; pycls MODEL_ZOO params, flops (B), top-1 error; torchvision's trainable
# with variant="torchvision" where it differs)
_FACTS: dict[str, tuple[int, int, int, str, float, float, int | None]] = {
    "x_200mf": (2_684_792, 2_705_640, 199_039_872, "2.7M", 0.2, 31.1, None),
    "x_400mf": (5_157_512, 5_194_184, 397_677_568, "5.2M", 0.4, 27.3, 5_495_976),
    "x_600mf": (6_196_040, 6_229_320, 600_890_112, "6.2M", 0.6, 25.9, None),
    "x_800mf": (7_259_656, 7_296_968, 799_699_712, "7.3M", 0.8, 24.8, None),
    "x_1_6gf": (9_190_136, 9_233_640, 1_602_849_792, "9.2M", 1.6, 23.0, None),
    "x_3_2gf": (15_296_552, 15_359_112, 3_176_621_952, "15.3M", 3.2, 21.7, None),
    "x_4gf": (22_118_248, 22_194_312, 3_964_498_816, "22.1M", 4.0, 21.4, None),
    "x_6_4gf": (26_209_256, 26_283_464, 6_460_291_264, "26.2M", 6.5, 20.8, None),
    "x_8gf": (39_572_648, 39_663_112, 7_995_132_416, "39.6M", 8.0, 20.7, None),
    "x_12gf": (46_106_056, 46_202_440, 12_086_678_016, "46.1M", 12.1, 20.3, None),
    "x_16gf": (54_278_536, 54_389_704, 15_940_755_456, "54.3M", 15.9, 20.0, None),
    "x_32gf": (107_811_560, 107_973_576, 31_735_929_792, "107.8M", 31.7, 19.5, None),
    "y_200mf": (3_162_996, 3_183_844, 199_514_080, "3.2M", 0.2, 29.6, None),
    "y_400mf": (4_344_144, 4_371_296, 401_842_848, "4.3M", 0.4, 25.9, None),
    "y_600mf": (6_055_160, 6_084_920, 601_220_992, "6.1M", 0.6, 24.5, None),
    "y_800mf": (6_263_168, 6_293_056, 797_176_832, "6.3M", 0.8, 23.7, 6_432_512),
    "y_1_6gf": (11_202_430, 11_255_102, 1_612_076_160, "11.2M", 1.6, 22.0, None),
    "y_3_2gf": (19_436_338, 19_502_498, 3_176_482_752, "19.4M", 3.2, 21.0, None),
    "y_4gf": (20_646_656, 20_708_928, 3_973_288_448, "20.6M", 4.0, 20.6, None),
    "y_6_4gf": (30_583_252, 30_665_684, 6_355_204_992, "30.6M", 6.4, 20.1, None),
    "y_8gf": (39_180_068, 39_265_812, 7_963_057_312, "39.2M", 8.0, 20.1, 39_381_472),
    "y_12gf": (51_822_544, 51_918_928, 12_092_376_576, "51.8M", 12.1, 19.7, None),
    "y_16gf": (83_590_140, 83_712_956, 15_911_510_272, "83.6M", 15.9, 19.6, None),
    "y_32gf": (145_046_770, 145_205_058, 32_279_552_832, "145.0M", 32.3, 19.0, None),
}
# torchvision ships these sizes (regnet_x_400mf ... regnet_y_32gf; regnet_y_128gf is not built here).
TORCHVISION_POINTS = ("x_400mf", "x_800mf", "x_1_6gf", "x_3_2gf", "x_8gf", "x_16gf", "x_32gf", "y_400mf",
                      "y_800mf", "y_1_6gf", "y_3_2gf", "y_8gf", "y_16gf", "y_32gf")


def _builder(point: str) -> None:
    trainable, total, macs, zoo_params, zoo_flops, error, tv = _FACTS[point]
    p = POINTS[point]
    name = f"regnet_{point}"
    kind = "Y" if p.se else "X"
    size = point[2:].upper().replace("_", ".")

    def build(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> RegNet:
        return RegNet(RegNetConfig(p), num_classes=num_classes, input_shape=input_shape, name=name, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"RegNet{kind}-{size} (w0={p.w0}, wa={p.wa}, wm={p.wm}, d={p.depth}, g={p.group_width}); "
                     f"{trainable:,} params, as pycls and timm.")
    refs = [Reference(TF_KERAS, trainable, total), Reference(TIMM, trainable)]
    if point in TORCHVISION_POINTS:
        refs.append(Reference(TORCHVISION, tv or trainable, options={"variant": "torchvision"}))
    register(FAMILY, name=name, params=(trainable, total), macs=macs, references=refs,
             paper_params=f"{zoo_params} (pycls MODEL_ZOO)", paper_macs=(zoo_flops * 1e9, "pycls MODEL_ZOO"),
             top1=(round(100 - error, 1), "pycls MODEL_ZOO (100 - top-1 error)"))(build)
    globals()[name] = build


for _point in POINTS:
    _builder(_point)


@register(FAMILY, params=(238_682, 243_226), macs=2_073_344, mini=True)
def regnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> RegNet:
    """RegNet mini: a RegNetY (SE kept) from w0=32, wa=24, wm=2, d=7, g=8 (three stages), stride-2 stem; 32x32."""
    return RegNet(RegNetConfig(MINI, stem_stride=2), num_classes=num_classes, input_shape=input_shape,
                  name="regnet_mini", **options)
