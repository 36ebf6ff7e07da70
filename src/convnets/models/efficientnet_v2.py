"""EfficientNetV2: Tan & Le, "EfficientNetV2: Smaller Models and Faster Training", ICML 2021
(https://arxiv.org/abs/2104.00298).

EfficientNet (2019) is small and cheap in FLOPs but slow to *train*: large images cost memory
and time, and depthwise convolutions cannot use modern accelerators fully (Sec. 3.2). V2 keeps
the compound-scaling recipe and changes three things. (1) **Fused-MBConv** (Sec. 3.2, Fig. 2):
MBConv's 1x1 expansion and kxk depthwise convolution are replaced by one ordinary kxk
convolution, which runs faster in the early stages, where the maps are large and the channels
few; it is slower in the late ones, so a training-aware architecture search (Sec. 3.3, reward
accuracy x step time^-0.07 x params^-0.05) mixes the two: fused stages early, MBConv with SE
later. (2) Smaller expansion ratios and 3x3 kernels only, with more layers (Sec. 3.3). (3)
**Progressive learning** (Sec. 4): the image size grows during training and the regularisation
(dropout, RandAugment, mixup) with it; a training schedule, not an architecture, so not here.

Table 4 (EfficientNetV2-S), as data in ``S``: operator, stride, channels, layers:

    stage  operator                  stride  channels  layers
    0      conv 3x3                  2       24        1
    1      Fused-MBConv1, k3x3       1       24        2
    2      Fused-MBConv4, k3x3       2       48        4
    3      Fused-MBConv4, k3x3       2       64        4
    4      MBConv4, k3x3, SE0.25     2       128       6
    5      MBConv6, k3x3, SE0.25     1       160       9
    6      MBConv6, k3x3, SE0.25     2       256       15
    7      conv 1x1 & pooling & FC   -       1280      1

M and L (``M``, ``L``: seven stages, 57 and 79 blocks) are the reference code's
(google/automl ``efficientnetv2/effnetv2_configs.py``, as Keras and torchvision copy them);
B0-B3 share a smaller base (``BASE``: 32-channel stem, six stages of 1, 2, 2, 3, 5, 8 blocks)
scaled as EfficientNet B0-B3 are (``SCALING``: width 1.0/1.0/1.1/1.2, depth 1.0/1.1/1.2/1.4).
Widths are rounded to multiples of 8 by Keras's V2 ``round_filters`` (to the nearest, with no
90% floor, unlike V1's), repeats up. The MBConv block is EfficientNet's (``efficientnet.MBConv``:
the same layers, SE on C_in/4, swish); ``FusedMBConv`` is new here.

Built as Keras Applications' ``EfficientNetV2B0``..``L`` builds them, so their weights port
through ``convnets.from_keras``: BatchNorm epsilon 1e-3, TF "same" padding, top dropout 0.2 at
every size (the reference code trains B2, B3 and M with 0.3, L with 0.4: pass ``dropout=``),
and drop connect (stochastic depth) with rate 0.2 * b / n for block b, where n is the
*unscaled* number of blocks of the table (Keras's quirk: B1-B3 end above 0.2, B3's last block
at 0.2 x 31 / 21). ``include_preprocessing=True`` adds Keras's input front: for B0-B3
``Rescaling(1/255)`` then ImageNet's mean and variance (a ``Normalization`` with the statistics
given, holding no weights, as Keras's), for S/M/L ``Rescaling(1/128, offset=-1)``; pixels 0..255
in. (Keras gives a B model without 3 channels the S/M/L front; so does ours.)
``variant="torchvision"``: symmetric padding (epsilon stays 1e-3, torchvision's for V2),
torchvision's ``efficientnet_v2_s/m/l`` through ``convnets.from_torch``.

Exact counts, 1000 classes, at each model's resolution (trainable / total with BatchNorm
statistics, which is Keras's total, with or without the front: it holds no variables):

    model  input  trainable     total         MACs        README (params / FLOPs / top-1)
    b0     224      7,139,704     7,200,312    0.718 G     7.1M / 0.72B / 78.7%
    b1     240      8,141,052     8,212,124    1.197 G     8.1M / 1.2B / 79.8%
    b2     260     10,096,086    10,178,374    1.698 G    10.1M / 1.7B / 80.5%
    b3     300     14,358,406    14,467,622    3.011 G    14.4M / 3.0B / 82.1%
    s      384     21,458,488    21,612,360    8.366 G    21.5M / 8.4B / 83.9%
    m      480     54,139,356    54,431,388   24.582 G    54.1M / 24.7B / 85.2%
    l      480    118,515,272   119,027,848   56.080 G   119.5M / 56.3B / 85.7%

Trainable counts equal torchvision's (S/M/L) and timm's ``tf_efficientnetv2_*``; MACs equal
Keras's and torchvision's. The README's 119.5M for L is 1M above every implementation's
118.5M (the 119.0M total with statistics is what keras.io lists); the cause is unknown.

``efficientnet_v2_mini`` keeps the fused-then-MBConv design for 28x28 and 32x32 images; see
its docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import (
    ConvBN,
    Dense,
    Dropout,
    DropPath,
    GlobalAvgPool,
    Normalization,
    Rescaling,
)
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.efficientnet import EfficientNet, MBConv, MBConvArgs
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("efficientnet_v2", "EfficientNetV2",
                Paper("Tan & Le", "EfficientNetV2: Smaller Models and Faster Training", 2021, "2104.00298"),
                full="efficientnet_v2_s", mini="efficientnet_v2_mini",
                problem="EfficientNets are cheap in FLOPs but slow to train: depthwise convolutions "
                        "and large images",
                idea="fused MBConv in the early stages, found by a search that counts training speed")


class Stage(NamedTuple):
    """A row of Table 4 (or of the reference code's M, L and base tables)."""

    fused: bool  # Fused-MBConv (one kxk conv for expand + depthwise) or MBConv
    k: int
    repeats: int
    cin: int
    cout: int
    expand: int
    stride: int
    se: float = 0.0


def _fused(repeats: int, cin: int, cout: int, expand: int, stride: int) -> Stage:
    return Stage(True, 3, repeats, cin, cout, expand, stride)


def _mbconv(repeats: int, cin: int, cout: int, expand: int, stride: int) -> Stage:
    return Stage(False, 3, repeats, cin, cout, expand, stride, 0.25)


# Table 4: EfficientNetV2-S.
S = (_fused(2, 24, 24, 1, 1), _fused(4, 24, 48, 4, 2), _fused(4, 48, 64, 4, 2),
     _mbconv(6, 64, 128, 4, 2), _mbconv(9, 128, 160, 6, 1), _mbconv(15, 160, 256, 6, 2))
# The reference code's M and L (effnetv2_configs.py v2_m_block, v2_l_block; Keras's and torchvision's too).
M = (_fused(3, 24, 24, 1, 1), _fused(5, 24, 48, 4, 2), _fused(5, 48, 80, 4, 2),
     _mbconv(7, 80, 160, 4, 2), _mbconv(14, 160, 176, 6, 1), _mbconv(18, 176, 304, 6, 2),
     _mbconv(5, 304, 512, 6, 1))
L = (_fused(4, 32, 32, 1, 1), _fused(7, 32, 64, 4, 2), _fused(7, 64, 96, 4, 2),
     _mbconv(10, 96, 192, 4, 2), _mbconv(19, 192, 224, 6, 1), _mbconv(25, 224, 384, 6, 2),
     _mbconv(7, 384, 640, 6, 1))
# The base of B0-B3 (the reference code's v2_base_block; Keras's efficientnetv2-b0..b3 blocks).
BASE = (_fused(1, 32, 16, 1, 1), _fused(2, 16, 32, 4, 2), _fused(2, 32, 48, 4, 2),
        _mbconv(3, 48, 96, 4, 2), _mbconv(5, 96, 112, 6, 1), _mbconv(8, 112, 192, 6, 2))
# size: (table, width, depth, resolution); the top dropout is Keras's 0.2 at every size.
SCALING = {"b0": (BASE, 1.0, 1.0, 224), "b1": (BASE, 1.0, 1.1, 240), "b2": (BASE, 1.1, 1.2, 260),
           "b3": (BASE, 1.2, 1.4, 300), "s": (S, 1.0, 1.0, 384), "m": (M, 1.0, 1.0, 480), "l": (L, 1.0, 1.0, 480)}

# ImageNet's mean and variance (of pixels in 0..1), the B models' front in Keras.
_MEAN = (0.485, 0.456, 0.406)
_VARIANCE = (0.229 ** 2, 0.224 ** 2, 0.225 ** 2)


@dataclass(frozen=True)
class EfficientNetV2Config:
    """A stage table and its scaling, as data."""

    blocks: tuple[Stage, ...] = S
    width: float = 1.0
    depth: float = 1.0
    top: int = 1280
    stem_stride: int = 2
    dropout: float = 0.2
    drop_connect: float = 0.2
    imagenet_front: bool = False  # B0-B3's Rescaling(1/255) + Normalization, not S/M/L's -1..1

    def filters(self, c: int) -> int:
        """Keras's V2 round_filters: c * width to the nearest multiple of 8 (at least 8)."""
        return int(max(8, int(c * self.width + 4) // 8 * 8))

    def repeats(self, n: int) -> int:
        """round_repeats: n * depth, rounded up."""
        return int(math.ceil(self.depth * n))


class FusedMBConv(Block):
    """Fused-MBConv (Sec. 3.2, Fig. 2): a kxk convolution expands C_in to C_in x expand (swish), a 1x1
    projects to C_out (linear); with expansion 1 a single kxk convolution (with swish) does both. Drop
    connect and the identity when the shapes match. Fig. 2 draws an SE in both blocks; the searched
    networks put none in the fused stages (Table 4), and neither does this block. Keras's names
    (``expand_conv``, ``project_conv``)."""

    def __init__(self, cin: int, cout: int, k: int, expand: int, stride: int, drop: float, pad: str, bn: dict,
                 name: str):
        super().__init__(name=name)
        padding: str | int = "same" if pad == "same" else (k - 1) // 2
        if expand != 1:
            self.expand = ConvBN(cin, cin * expand, k, stride, padding, act="swish", name="expand_conv", **bn)
            self.project = ConvBN(cin * expand, cout, 1, 1, "valid", act=None, name="project_conv", **bn)
        else:  # one kxk convolution, and it keeps its activation (Keras's project_activation)
            self.expand = None
            self.project = ConvBN(cin, cout, k, stride, padding, act="swish", name="project_conv", **bn)
        self.residual = stride == 1 and cin == cout
        self.drop = DropPath(drop, name="drop") if self.residual else None
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = x if self.expand is None else self.expand(x, training=training)
        y = self.project(y, training=training)
        return x + self.drop(y, training=training) if self.residual else y

    def output_shape(self, input_shape: Shape) -> Shape:
        first = self.project if self.expand is None else self.expand
        h, w, _ = first.output_shape(input_shape)
        return (h, w, self.out_channels)


class EfficientNetV2(EfficientNet):
    """The stem, the fused and MBConv stages scaled by width and depth, a 1x1 conv to 1280 x width, pool,
    dropout, fc.

    Options: ``dropout`` (0.2), ``drop_connect`` (0.2: block b of a table of n drops with rate 0.2 * b / n),
    ``include_preprocessing`` (Keras's input front, pixels 0..255 in), ``variant`` ("keras" or
    "torchvision": TF "same" or symmetric padding).
    """

    def __init__(self, config: EfficientNetV2Config, *, num_classes: int = 1000,
                 input_shape: Shape = (384, 384, 3), include_top: bool = True, pooling: str | None = None,
                 dropout: float | None = None, drop_connect: float | None = None,
                 include_preprocessing: bool = False, variant: str = "keras", name: str = "efficientnet_v2"):
        Model.__init__(self, num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if variant not in ("keras", "torchvision"):
            raise ConfigError(f"{name}: variant must be 'keras' or 'torchvision', got {variant!r}")
        bn = dict(bn_epsilon=1e-3, w_init="he_normal")  # 1e-3 in Keras and in torchvision's V2
        pad = "same" if variant == "keras" else "symmetric"
        self.front: list[Layer] = []
        if include_preprocessing:  # Keras: the ImageNet front only for 3-channel B models
            self.front = ([Rescaling(1 / 255, name="rescaling"),
                           Normalization(3, _MEAN, _VARIANCE, fixed=True, name="normalization")]
                          if config.imagenet_front and input_shape[2] == 3
                          else [Rescaling(1 / 128, offset=-1.0, name="rescaling")])
        stem = config.filters(config.blocks[0].cin)
        self.stem = ConvBN(input_shape[2], stem, 3, config.stem_stride, "same" if pad == "same" else 1, act="swish",
                           name="stem", **bn)
        rate = config.drop_connect if drop_connect is None else drop_connect
        n = sum(a.repeats for a in config.blocks)  # Keras: the table's repeats, before depth scaling
        self.blocks: list[Layer] = []
        c, b = stem, 0
        for i, a in enumerate(config.blocks):
            cout = config.filters(a.cout)
            for j in range(config.repeats(a.repeats)):
                stride, block_name, drop = (a.stride if j == 0 else 1), f"block{i + 1}{chr(97 + j)}", rate * b / n
                if a.fused:
                    self.blocks.append(FusedMBConv(c, cout, a.k, a.expand, stride, drop, pad, bn, name=block_name))
                else:
                    args = MBConvArgs(a.k, a.repeats, c, cout, a.expand, stride, a.se)
                    self.blocks.append(MBConv(c, cout, args, stride, drop, pad, bn, name=block_name))
                c, b = cout, b + 1
        top = config.filters(config.top)
        self.top = ConvBN(c, top, 1, 1, "valid", act="swish", name="top", **bn)
        self.num_features = top
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(config.dropout if dropout is None else dropout, name="top_dropout")
        self.fc = Dense(top, num_classes, name="predictions") if include_top else None

    # forward_features, forward_head and feature_shape: EfficientNet's (front, stem, blocks, top; pool,
    # dropout, fc), which V2 keeps.


KERAS, TORCHVISION, TIMM = "Keras Applications", "torchvision", "timm"
# (trainable, total = Keras's total, MACs, README params, README FLOPs, README top-1)
_FACTS = {
    "b0": (7_139_704, 7_200_312, 718_086_176, "7.1M", 0.72e9, 78.7),
    "b1": (8_141_052, 8_212_124, 1_196_819_360, "8.1M", 1.2e9, 79.8),
    "b2": (10_096_086, 10_178_374, 1_697_542_832, "10.1M", 1.7e9, 80.5),
    "b3": (14_358_406, 14_467_622, 3_011_458_816, "14.4M", 3.0e9, 82.1),
    "s": (21_458_488, 21_612_360, 8_365_617_152, "21.5M", 8.4e9, 83.9),
    "m": (54_139_356, 54_431_388, 24_582_460_384, "54.1M", 24.7e9, 85.2),
    "l": (118_515_272, 119_027_848, 56_079_699_008, "119.5M", 56.3e9, 85.7),
}
_README = "the official README (google/automl efficientnetv2)"


def _builder(size: str) -> None:
    blocks, width, depth, side = SCALING[size]
    trainable, total, macs, paper_params, paper_flops, top1 = _FACTS[size]
    name = f"efficientnet_v2_{size}"
    config = EfficientNetV2Config(blocks, width, depth, imagenet_front=size.startswith("b"))

    def build(*, num_classes: int = 1000, input_shape: Shape = (side, side, 3), **options: Any) -> EfficientNetV2:
        return EfficientNetV2(config, num_classes=num_classes, input_shape=input_shape, name=name, **options)

    what = {"s": "Table 4", "m": "the reference code's M", "l": "the reference code's L"}.get(
        size, f"the base at width {width}, depth {depth}")
    build.__doc__ = f"EfficientNetV2-{size.upper()} ({what}, {side}x{side}); {trainable:,} params."
    # Keras's counts hold with its front (include_preprocessing=True: no variables) and without, torchvision's
    # with either padding: registered without options, so the registry test does not build L three times.
    references = [Reference(KERAS, trainable, total), Reference(TIMM, trainable)]
    if not size.startswith("b"):
        references.append(Reference(TORCHVISION, trainable))
    register(FAMILY, name=name, params=(trainable, total), macs=macs, references=references,
             paper_params=f"{paper_params} (README)", paper_macs=(paper_flops, "README"),
             top1=(top1, _README))(build)
    globals()[name] = build


for _size in SCALING:
    _builder(_size)


# The mini: BASE at width 0.5 and depth 0.25 (blocks 1, 1, 1, 1, 2, 2), a stride-1 stem and second stage,
# a 640-wide top; the B models' input front.
EFFICIENTNET_V2_MINI = EfficientNetV2Config(
    tuple(a._replace(stride=1) if i == 1 else a for i, a in enumerate(BASE)), width=0.5, depth=0.25, top=640,
    stem_stride=2, imagenet_front=True)


@register(FAMILY, params=(364_352, 372_544), macs=4_306_624, mini=True)
def efficientnet_v2_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                         **options: Any) -> EfficientNetV2:
    """EfficientNetV2 mini: the B0 base's three fused and three MBConv-SE stages at width 0.5 and depth 0.25,
    stride-2 stem; for 32x32.

    What was scaled, and why: widths halved (16-channel stem, stages of 8 to 96 channels, a 640-wide top) and
    the depth quartered (8 blocks: one a stage, two in the last two MBConv stages, which keep their residuals
    and drop connect), so it trains in minutes on a CPU: 364,352 parameters, 4.3 M MACs at 32x32. The stem
    keeps B0's stride 2 and the second (fused) stage has stride 1, so 32x32 passes the fused stages at 16, 16
    and 8 and the MBConv-SE stages at 4, 4 and 2, ending at 2x2 (a stride-1 stem, 17.1 M MACs, trained at 212
    img/s on this 2-core CPU, too slow for five Fashion-MNIST epochs in ten minutes; stride 2 at about 950).
    The design is the paper's:
    ordinary 3x3 convolutions where the maps are large and the channels few, depthwise ones with SE where they
    are small and many.
    """
    return EfficientNetV2(EFFICIENTNET_V2_MINI, num_classes=num_classes, input_shape=input_shape,
                          name="efficientnet_v2_mini", **options)
