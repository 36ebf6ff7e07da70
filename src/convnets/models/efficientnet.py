"""EfficientNet: Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks", ICML 2019 (https://arxiv.org/abs/1905.11946).

Scaling one dimension (width, depth or resolution) saturates; scaling all three
together by a *compound coefficient* phi does better (Sec. 3.3): depth d = alpha^phi,
width w = beta^phi, resolution r = gamma^phi with alpha * beta^2 * gamma^2 ~ 2 (found
by a small grid search at phi = 1: alpha 1.2, beta 1.1, gamma 1.15), so each step
doubles the FLOPs. The baseline B0 (Table 1) comes from a MnasNet-style search: MBConv
blocks (MobileNet v2's inverted residual with squeeze-and-excitation, swish
activations), and training uses stochastic depth ("drop connect", 0.2) on the blocks.

Table 1 (B0 at 224x224), as data in ``BLOCKS``: kernel, repeats, input and output
channels, expansion, stride (SE ratio 0.25 everywhere):

    stage  operator         resolution  channels  layers
    1      conv 3x3         224x224     32        1
    2      MBConv1, k3x3    112x112     16        1
    3      MBConv6, k3x3    112x112     24        2
    4      MBConv6, k5x5    56x56       40        2
    5      MBConv6, k3x3    28x28       80        3
    6      MBConv6, k5x5    14x14       112       3
    7      MBConv6, k5x5    14x14       192       4
    8      MBConv6, k3x3    7x7         320       1
    9      conv 1x1, pool, FC  7x7      1280      1

The released B1-B7 (``SCALING``: width, depth, resolution, dropout) round phi's
powers: widths are rounded to multiples of 8 (never down by more than 10%), repeats
up (``round_filters``, ``round_repeats``), the top dropout grows from 0.2 to 0.5, and
the drop-connect rate of block b of n is 0.2 * b / n.

Built as Keras Applications' ``EfficientNetB0``..``B7`` builds them (the released
TF model), so Keras's weights port through ``convnets.from_keras``: BatchNorm epsilon
1e-3, TF "same" padding (Keras's ``correct_pad``); Keras puts its input normalisation
inside the model (``Rescaling(1/255)`` and ``Normalization`` with ImageNet's mean and
variance): ``include_preprocessing=True`` adds it here too (off by default, since our
pipeline normalises). ``variant="torchvision"``: symmetric padding and epsilon 1e-5,
torchvision's ``efficientnet_b*`` (its weights through ``convnets.from_torch``).

Exact counts, 1000 classes (trainable / total with BatchNorm statistics, and Keras's
total, which adds the 7 values of its Normalization front), at each model's
resolution; trainable counts equal torchvision's and timm's:

    model  input  trainable    total        Keras total  MACs
    b0     224     5,288,548    5,330,564    5,330,571     0.386 G (385,814,752)
    b1     240     7,794,184    7,856,232    7,856,239     0.686 G
    b2     260     9,109,994    9,177,562    9,177,569     1.00 G
    b3     300    12,233,232   12,320,528   12,320,535     1.83 G
    b4     380    19,341,616   19,466,816   19,466,823     4.40 G
    b5     456    30,389,784   30,562,520   30,562,527    10.3 G
    b6     528    43,040,704   43,265,136   43,265,143    18.9 G
    b7     600    66,347,960   66,658,680   66,658,687    37.7 G

(paper Table 2: 5.3M/0.39B, 7.8M/0.70B, 9.2M/1.0B, 12M/1.8B, 19M/4.2B, 30M/9.9B,
43M/19B, 66M/37B FLOPs).

``efficientnet_mini`` keeps the MBConv blocks, SE, swish and drop connect for 28x28
and 32x32 images: B0's stages at half width (``width=0.5``) and one block each, with
stride 2 in the stem and 1 in the second stage, so 32x32 ends at 2x2, and a 320-wide top
(640 x 0.5): 368,058 parameters, 3.4 M MACs. Sized for a 2-core CPU: with a stride-1 stem
(13.5 M MACs) a training step ran at 111 img/s here (AVX2, no AVX-512), too slow for five
Fashion-MNIST epochs in ten minutes; stride 2 runs at about 560.
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
    SqueezeExcite,
    thread_shape,
)
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.mobilenet import make_divisible
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("efficientnet", "EfficientNet",
                Paper("Tan & Le", "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", 2019,
                      "1905.11946"),
                full="efficientnet_b0", mini="efficientnet_mini",
                problem="how to grow a network: deeper, wider or larger images?",
                idea="compound scaling: all three together, by one coefficient")


class MBConvArgs(NamedTuple):
    """A row of Table 1 as the released code writes it."""

    k: int
    repeats: int
    cin: int
    cout: int
    expand: int
    stride: int
    se: float = 0.25


BLOCKS = (MBConvArgs(3, 1, 32, 16, 1, 1), MBConvArgs(3, 2, 16, 24, 6, 2), MBConvArgs(5, 2, 24, 40, 6, 2),
          MBConvArgs(3, 3, 40, 80, 6, 2), MBConvArgs(5, 3, 80, 112, 6, 1), MBConvArgs(5, 4, 112, 192, 6, 2),
          MBConvArgs(3, 1, 192, 320, 6, 1))
# The released B0..B7: width, depth, resolution, top dropout (Sec. 3.3 / the reference code).
SCALING = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
           "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
           "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}


@dataclass(frozen=True)
class EfficientNetConfig:
    """Table 1 and a point of the compound scaling, as data."""

    width: float = 1.0
    depth: float = 1.0
    dropout: float = 0.2
    blocks: tuple[MBConvArgs, ...] = BLOCKS
    stem: int = 32
    top: int = 1280
    stem_stride: int = 2
    drop_connect: float = 0.2
    one_block_per_stage: bool = False  # the mini

    def filters(self, c: int) -> int:
        """round_filters: c * width to a multiple of 8, never 10% below."""
        return make_divisible(c * self.width)

    def repeats(self, n: int) -> int:
        """round_repeats: n * depth, rounded up."""
        return 1 if self.one_block_per_stage else int(math.ceil(self.depth * n))


EFFICIENTNET_MINI = EfficientNetConfig(width=0.5, top=640, stem_stride=2, one_block_per_stage=True,
                                       blocks=tuple(b._replace(stride=1) if i == 1 else b for i, b in enumerate(BLOCKS)))


class MBConv(Block):
    """Expand 1x1, depthwise kxk, squeeze-and-excite (swish bottleneck of C_in/4, sigmoid gate), project
    1x1; drop connect and the identity when the shapes match. Keras's names (``expand_conv``, ``dwconv``,
    ``se``, ``project_conv``)."""

    def __init__(self, cin: int, cout: int, a: MBConvArgs, stride: int, drop: float, pad: str, bn: dict,
                 name: str):
        super().__init__(name=name)
        hidden = cin * a.expand
        padding: str | int = "same" if pad == "same" else (a.k - 1) // 2
        self.expand = ConvBN(cin, hidden, 1, 1, "valid", act="swish", name="expand_conv", **bn) if a.expand != 1 \
            else None
        self.dwconv = ConvBN(hidden, hidden, a.k, stride, padding, act="swish", depthwise=True, name="dwconv", **bn)
        self.se = SqueezeExcite(hidden, hidden=max(1, int(cin * a.se)), act="swish", name="se") if a.se else None
        self.project = ConvBN(hidden, cout, 1, 1, "valid", act=None, name="project_conv", **bn)
        self.residual = stride == 1 and cin == cout
        self.drop = DropPath(drop, name="drop") if self.residual else None
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = x if self.expand is None else self.expand(x, training=training)
        y = self.dwconv(y, training=training)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y, training=training)
        return x + self.drop(y, training=training) if self.residual else y

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = self.dwconv.output_shape((*input_shape[:2], self.dwconv.conv.channels))
        return (h, w, self.out_channels)


class EfficientNet(Model):
    """The stem, Table 1's MBConv stages scaled by width and depth, a 1x1 conv to 1280 x width, pool, dropout, fc.

    Options: ``dropout`` (the scaling point's by default), ``drop_connect`` (0.2: the last block's drop
    rate, the first's 0), ``include_preprocessing`` (Keras's 0..255 rescaling and ImageNet normalisation inside),
    ``variant`` ("keras" or "torchvision": padding and BatchNorm epsilon).
    """

    def __init__(self, config: EfficientNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float | None = None,
                 drop_connect: float | None = None, include_preprocessing: bool = False, variant: str = "keras",
                 name: str = "efficientnet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if variant not in ("keras", "torchvision"):
            raise ConfigError(f"{name}: variant must be 'keras' or 'torchvision', got {variant!r}")
        bn = dict(bn_epsilon=1e-3 if variant == "keras" else 1e-5, w_init="he_normal")
        pad = "same" if variant == "keras" else "symmetric"
        self.front: list[Layer] = ([Rescaling(1 / 255, name="rescaling"), Normalization(input_shape[2],
                                                                                       name="normalization")]
                                   if include_preprocessing else [])
        stem = config.filters(config.stem)
        self.stem = ConvBN(input_shape[2], stem, 3, config.stem_stride, "same" if pad == "same" else 1, act="swish",
                           name="stem", **bn)
        rate = config.drop_connect if drop_connect is None else drop_connect
        n = sum(config.repeats(a.repeats) for a in config.blocks)
        self.blocks: list[Layer] = []
        c, b = stem, 0
        for i, a in enumerate(config.blocks):
            cout = config.filters(a.cout)
            for j in range(config.repeats(a.repeats)):
                # Keras: block b of n drops with rate drop_connect * b / n
                self.blocks.append(MBConv(c, cout, a, a.stride if j == 0 else 1, rate * b / n, pad, bn,
                                          name=f"block{i + 1}{chr(97 + j)}"))
                c, b = cout, b + 1
        top = config.filters(config.top)
        self.top = ConvBN(c, top, 1, 1, "valid", act="swish", name="top", **bn)
        self.num_features = top
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(config.dropout if dropout is None else dropout, name="top_dropout")
        self.fc = Dense(top, num_classes, name="predictions") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (*self.front, self.stem, *self.blocks, self.top):
            x = layer(x, training=training)
        return x

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.front, self.stem, *self.blocks, self.top), input_shape)


KERAS, TORCHVISION = "Keras Applications", "torchvision"
# (trainable, total, Keras total, MACs, paper params, paper FLOPs (Table 2), top-1 (Table 2))
_FACTS = {
    "b0": (5_288_548, 5_330_564, 5_330_571, 385_814_752, "5.3M", 0.39e9, 77.1),
    "b1": (7_794_184, 7_856_232, 7_856_239, 686_802_832, "7.8M", 0.70e9, 79.1),
    "b2": (9_109_994, 9_177_562, 9_177_569, 993_561_872, "9.2M", 1.0e9, 80.1),
    "b3": (12_233_232, 12_320_528, 12_320_535, 1_827_141_392, "12M", 1.8e9, 81.6),
    "b4": (19_341_616, 19_466_816, 19_466_823, 4_393_771_024, "19M", 4.2e9, 82.9),
    "b5": (30_389_784, 30_562_520, 30_562_527, 10_266_384_752, "30M", 9.9e9, 83.6),
    "b6": (43_040_704, 43_265_136, 43_265_143, 19_067_593_536, "43M", 19e9, 84.0),
    "b7": (66_347_960, 66_658_680, 66_658_687, 37_745_884_192, "66M", 37e9, 84.3),
}


def _builder(point: str) -> None:
    width, depth, size, dropout = SCALING[point]
    trainable, total, keras_total, macs, paper_params, paper_flops, top1 = _FACTS[point]
    name = f"efficientnet_{point}"

    def build(*, num_classes: int = 1000, input_shape: Shape = (size, size, 3), **options: Any) -> EfficientNet:
        return EfficientNet(EfficientNetConfig(width, depth, dropout), num_classes=num_classes,
                            input_shape=input_shape, name=name, **options)

    build.__doc__ = f"EfficientNet-{point.upper()} (width {width}, depth {depth}, {size}x{size}); {trainable:,} params."
    register(FAMILY, name=name, params=(trainable, total), macs=macs,
             references=[Reference(KERAS, trainable, keras_total, options={"include_preprocessing": True}),
                         Reference(TORCHVISION, trainable)],
             paper_params=f"{paper_params} (Table 2)", paper_macs=(paper_flops, "Table 2"), macs_tolerance=0.06,
             top1=(top1, "paper Table 2"))(build)
    globals()[name] = build


for _point in SCALING:
    _builder(_point)


@register(FAMILY, params=(368_058, 375_322), macs=3_405_632, mini=True)
def efficientnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> EfficientNet:
    """EfficientNet mini: B0's seven MBConv stages at half width, one block each, stride-2 stem; for 32x32."""
    return EfficientNet(EFFICIENTNET_MINI, num_classes=num_classes, input_shape=input_shape, name="efficientnet_mini",
                        **options)
