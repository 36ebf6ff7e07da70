"""MobileNet v1 (Howard et al. 2017, https://arxiv.org/abs/1704.04861) and
MobileNet v2 (Sandler et al. 2018, https://arxiv.org/abs/1801.04381).

**v1**: a depthwise separable convolution is a 3x3 depthwise convolution (one
filter per channel) followed by a 1x1 pointwise convolution, each with BN and
ReLU (Sec. 3.1, Fig. 3); it costs 1/N + 1/9 of a full 3x3 convolution. Table 1,
kept as ``V1_TABLE`` (pointwise filters, depthwise stride):

    conv 3x3/2 32 -> dw/pw: 64/1, 128/2, 128/1, 256/2, 256/1, 512/2, 5 x 512/1,
    1024/2, 1024/1 -> avg pool 7x7 -> fc 1000

The width multiplier ``alpha`` thins every layer to ``int(alpha * channels)``
(Sec. 3.3); any input resolution works (Sec. 3.4, Table 7). Exact counts
(1000 classes, 224x224; total / trainable), equal to Keras Applications:

    alpha  total       trainable   MACs      paper Table 6 (params, mult-adds)
    1.0    4,253,864   4,231,976   568.7 M   4.2M, 569M
    0.75   2,601,976   2,585,560   325.4 M   2.6M, 325M
    0.5    1,342,536   1,331,592   149.5 M   1.3M, 149M
    0.25   475,544     470,072     41.0 M    0.5M, 41M

Table 7 (alpha 1.0 at 192/160/128): 418M / 290M / 186M mult-adds; ours: 418.1 M,
290.7 M, 186.4 M.

**v2**: the inverted residual with linear bottleneck (Sec. 3.3, Table 1): expand
1x1 by ``t`` with ReLU6, 3x3 depthwise with ReLU6, project 1x1 *without* a
nonlinearity; a residual connection when stride is 1 and the widths match.
Table 2 (``V2_TABLE``: t, c, n, s) after a 3x3/2 conv with 32 filters, then a 1x1
conv to 1280, average pool and a 1000-way classifier. Channel counts are
``alpha * c`` rounded to a multiple of 8; the last conv keeps 1280 for alpha <= 1.
Exact count at alpha 1.0: 3,504,872 trainable, 3,538,984 total, 300.8 M MACs
(Table 4: 3.4M, 300M), identical to Keras and torchvision. Keras pads a stride-2
layer's extra pixel at the bottom/right (TF "same"); torchvision pads every 3x3 by one
pixel on each side and uses BatchNorm epsilon 1e-5: ``variant="torchvision"``.

Deviations: v1 applies ``Dropout(1e-3)`` before the classifier as Keras does
(inactive at inference). The 1x1-conv classifier of Keras is a Dense layer
here (same parameters).

``include_top=False`` returns the last feature map, as Keras Applications does:
v1's last separable layer (7x7x1024 at 224x224), v2's 1x1 conv to 1280 (7x7x1280).

The minis (32x32 input; ``MOBILENET_V1_MINI``, ``MOBILENET_V2_MINI``) keep every
idea and change only strides and widths: ``mobilenet_v1_mini`` starts with a stride-1 conv, has two rather than five
512-wide layers and no final stride (32 -> 16 -> 8 -> 4), at alpha 0.5;
``mobilenet_v2_mini`` uses stride 1 in the first conv (32 -> 16 -> 8 -> 4 -> 2
through the strided rows), alpha 0.5 and a 640-wide last conv: 590,410
parameters, 7.4 M MACs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, Dropout, GlobalAvgPool, thread_shape
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

PAPER_V1 = Paper("Howard et al.", "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
                 2017, "1704.04861")
PAPER_V2 = Paper("Sandler, Howard, Zhu, Zhmoginov & Chen", "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
                 2018, "1801.04381")
FAMILY = Family("mobilenet", "MobileNet v1 and v2", PAPER_V1, full="mobilenet_v1", mini="mobilenet_v1_mini",
                problem="convnets too costly for a phone",
                idea="depthwise separable convolutions, width and resolution multipliers; v2: inverted residuals, "
                "linear bottlenecks")

# v1 Table 1: (pointwise filters, depthwise stride) of the 13 separable layers.
V1_TABLE = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
            (512, 1), (1024, 2), (1024, 1))
V1_MINI_TABLE = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (1024, 1), (1024, 1))


@dataclass(frozen=True)
class MobileNetV1Config:
    """v1's Table 1 as data."""

    table: tuple[tuple[int, int], ...] = V1_TABLE  # the "Conv dw / s" + "Conv / s1" pairs: (pw filters, dw stride)
    stem_width: int = 32  # the first row, "Conv / s2", 3 x 3 x 3 x 32
    stem_stride: int = 2  # its stride: 2 in Table 1; 1 in the mini (32x32 inputs)


# Table 1, and the mini for 32x32 images (see the module docstring).
MOBILENET_V1 = MobileNetV1Config()
MOBILENET_V1_MINI = MobileNetV1Config(V1_MINI_TABLE, stem_stride=1)


class V2Row(NamedTuple):
    """One row of v2's Table 2: expansion t, output channels c, repeats n, first stride s."""

    t: int
    c: int
    n: int
    s: int


V2_TABLE = (V2Row(1, 16, 1, 1), V2Row(6, 24, 2, 2), V2Row(6, 32, 3, 2), V2Row(6, 64, 4, 2),
            V2Row(6, 96, 3, 1), V2Row(6, 160, 3, 2), V2Row(6, 320, 1, 1))


@dataclass(frozen=True)
class MobileNetV2Config:
    """v2's Table 2 as data."""

    table: tuple[V2Row, ...] = V2_TABLE  # the "bottleneck" rows (t, c, n, s)
    stem_width: int = 32  # the first row, "conv2d", 32 filters, stride 2
    stem_stride: int = 2  # 1 in the mini (32x32 inputs)
    # The "conv2d 1x1" row's 1280; None: 1280, widened by alpha above 1 (Sec. 3.4, as Keras); the mini's is 640.
    last_width: int | None = None


# Table 2, and the mini for 32x32 images (see the module docstring).
MOBILENET_V2 = MobileNetV2Config()
MOBILENET_V2_MINI = MobileNetV2Config(stem_stride=1, last_width=640)


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor``, never below 90% of ``v`` (the v2 reference code)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _bn(eps: float) -> dict:
    # Keras's epsilon, which changes the outputs; the momentum (Keras: 0.99 in v1,
    # 0.999 in v2) only changes how fast the averages settle, so ours keeps 0.9.
    return dict(bn_epsilon=eps)


class DepthwiseSeparable(Block):
    """3x3 depthwise + BN + ReLU, then 1x1 pointwise + BN + ReLU (v1 Fig. 3)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, block_id: int, bn: dict):
        super().__init__(name=f"conv_dw_{block_id}")
        self.dw = ConvBN(in_channels, in_channels, 3, stride, "same", act="relu6", depthwise=True,
                         w_init="glorot_uniform", name="dw", **bn)
        self.pw = ConvBN(in_channels, out_channels, 1, 1, "same", act="relu6", w_init="glorot_uniform", name="pw", **bn)
        self.out_channels = out_channels

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.pw(self.dw(x, training=training), training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.pw.output_shape(self.dw.output_shape(input_shape))


class MobileNetV1(Model):
    """v1 (Table 1): a 3x3 conv, then depthwise separable layers; average pool, dropout and fc on top.

    Options: ``alpha``, the width multiplier (Sec. 3.3: every layer has ``int(alpha * channels)``), and ``dropout``
    before the classifier (Keras's 1e-3).
    """

    def __init__(self, config: MobileNetV1Config, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, alpha: float = 1.0, dropout: float = 1e-3,
                 name: str = "mobilenet_v1"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if alpha <= 0:
            raise ConfigError(f"alpha must be > 0, got {alpha}")
        bn = _bn(1e-3)  # Keras Applications' BatchNorm epsilon
        c = int(config.stem_width * alpha)
        self.conv1 = ConvBN(input_shape[2], c, 3, config.stem_stride, "same", act="relu6", w_init="glorot_uniform",
                            name="conv1", **bn)
        self.blocks = []
        for i, (filters, stride) in enumerate(config.table, start=1):
            block = DepthwiseSeparable(c, int(filters * alpha), stride, i, bn)
            self.blocks.append(block)
            c = block.out_channels
        self.num_features = c  # 1024 at alpha 1
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(c, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return x  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, *self.blocks), input_shape)


class InvertedResidual(Block):
    """Expand 1x1 (ReLU6), depthwise 3x3 (ReLU6), project 1x1 (linear), + input if shapes match."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int, block_id: int, bn: dict,
                 pad3x3: str | int = "same"):
        super().__init__(name=f"block_{block_id}")
        hidden = in_channels * expansion
        self.expand = (
            ConvBN(in_channels, hidden, 1, 1, "same", act="relu6", w_init="glorot_uniform", name="expand", **bn)
            if expansion != 1
            else None
        )
        self.depthwise = ConvBN(hidden, hidden, 3, stride, pad3x3, act="relu6", depthwise=True,
                                w_init="glorot_uniform", name="depthwise", **bn)
        # Linear bottleneck (Sec. 3.2): no ReLU after the projection.
        self.project = ConvBN(hidden, out_channels, 1, 1, "same", act=None, w_init="glorot_uniform", name="project",
                              **bn)
        self.residual = stride == 1 and in_channels == out_channels
        self.out_channels = out_channels

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = x if self.expand is None else self.expand(x, training=training)
        y = self.project(self.depthwise(y, training=training), training=training)
        return x + y if self.residual else y

    def output_shape(self, input_shape: Shape) -> Shape:
        s = self.depthwise.output_shape((*input_shape[:2], self.depthwise.conv.channels))
        return (*s[:2], self.out_channels)


class MobileNetV2(Model):
    """v2 (Table 2): a 3x3 conv, inverted residuals, a 1x1 conv to 1280; average pool and fc on top.

    Options: ``alpha``, the width multiplier (channels ``alpha * c`` rounded to a multiple of 8);
    ``variant``: "keras" (TF "same" padding, which puts a stride-2 layer's extra pixel at the
    bottom/right as Keras's ``correct_pad`` does; BN epsilon 1e-3) or "torchvision" (one pixel on
    every side of the 3x3 layers, epsilon 1e-5: its weights, through ``from_torch``).
    """

    def __init__(self, config: MobileNetV2Config, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, alpha: float = 1.0, variant: str = "keras",
                 name: str = "mobilenet_v2"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if alpha <= 0:
            raise ConfigError(f"alpha must be > 0, got {alpha}")
        if variant not in ("keras", "torchvision"):
            raise ConfigError(f"mobilenet_v2: variant must be 'keras' or 'torchvision', got {variant!r}")
        # Keras Applications' BatchNorm epsilon for v2 is 1e-3, torchvision's 1e-5.
        bn = _bn(1e-3 if variant == "keras" else 1e-5)
        pad3x3: str | int = "same" if variant == "keras" else 1
        c = make_divisible(config.stem_width * alpha)
        self.conv1 = ConvBN(input_shape[2], c, 3, config.stem_stride, pad3x3, act="relu6", w_init="glorot_uniform",
                            name="Conv1", **bn)
        self.blocks = []
        block_id = 0
        for row in config.table:
            out = make_divisible(row.c * alpha)
            for i in range(row.n):
                block = InvertedResidual(c, out, row.s if i == 0 else 1, row.t, block_id, bn, pad3x3)
                self.blocks.append(block)
                c, block_id = out, block_id + 1
        last = config.last_width
        if last is None:
            last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280  # Sec. 3.4 / Keras
        self.conv_last = ConvBN(c, last, 1, 1, "same", act="relu6", w_init="glorot_uniform", name="Conv_1", **bn)
        self.num_features = last
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(last, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self.conv_last(x, training=training)  # 7x7x1280 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, *self.blocks, self.conv_last), input_shape)


KERAS = "Keras Applications"


@register(FAMILY, params=(4_231_976, 4_253_864), macs=568_740_352, paper=PAPER_V1,
          references=[Reference(KERAS, 4_231_976, 4_253_864)], paper_params="4.2M (Table 6)",
          paper_macs=(569e6, "Table 8"),
          top1=(70.6, "paper Table 6"))
def mobilenet_v1(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MobileNetV1:
    """MobileNet v1 (Table 1) with width multiplier alpha; 4,231,976 params at alpha 1.0 (Keras total 4,253,864)."""
    return MobileNetV1(MOBILENET_V1, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(617_130, 625_002), macs=13_712_384, paper=PAPER_V1, mini=True)
def mobilenet_v1_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), alpha: float = 0.5,
                      **options: Any) -> MobileNetV1:
    """MobileNet v1 mini: stride-1 stem, 10 separable layers (32->16->8->4), alpha 0.5; for 32x32."""
    return MobileNetV1(MOBILENET_V1_MINI, num_classes=num_classes, input_shape=input_shape, alpha=alpha,
                       name="mobilenet_v1_mini", **options)


@register(FAMILY, params=(3_504_872, 3_538_984), macs=300_774_272, paper=PAPER_V2,
          references=[Reference(KERAS, 3_504_872, 3_538_984), Reference("torchvision", 3_504_872)],
          paper_params="3.4M (Table 4)", paper_macs=(300e6, "Table 4"),
          top1=(72.0, "paper Table 4"))
def mobilenet_v2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MobileNetV2:
    """MobileNet v2 (Table 2) with width multiplier alpha; 3,504,872 params at alpha 1.0 (Keras total 3,538,984)."""
    return MobileNetV2(MOBILENET_V2, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(590_410, 607_674), macs=7_421_440, paper=PAPER_V2, mini=True)
def mobilenet_v2_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), alpha: float = 0.5,
                      **options: Any) -> MobileNetV2:
    """MobileNet v2 mini: stride-1 stem, Table 2's rows at alpha 0.5, last conv 640; for 32x32."""
    return MobileNetV2(MOBILENET_V2_MINI, num_classes=num_classes, input_shape=input_shape, alpha=alpha,
                       name="mobilenet_v2_mini", **options)
