"""GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions",
CVPR 2015 (https://arxiv.org/abs/1409.4842).

Table 1, kept as data in ``INCEPTION_TABLE`` (#1x1, #3x3 reduce, #3x3, #5x5
reduce, #5x5, pool proj) with the stem and pools around it:

    type            patch/stride  output      notes
    convolution     7x7/2         112x112x64
    max pool        3x3/2         56x56x64    then LRN
    convolution     1x1 + 3x3/1   56x56x192   "reduce" 64, then LRN
    max pool        3x3/2         28x28x192
    inception (3a)                28x28x256   64  96 128 16  32  32
    inception (3b)                28x28x480   128 128 192 32 96  64
    max pool        3x3/2         14x14x480
    inception (4a)                14x14x512   192 96  208 16 48  64   <- auxiliary classifier 1
    inception (4b)                14x14x512   160 112 224 24 64  64
    inception (4c)                14x14x512   128 128 256 24 64  64
    inception (4d)                14x14x528   112 144 288 32 64  64   <- auxiliary classifier 2
    inception (4e)                14x14x832   256 160 320 32 128 128
    max pool        3x3/2         7x7x832
    inception (5a)                7x7x832     256 160 320 32 128 128
    inception (5b)                7x7x1024    384 192 384 48 128 128
    avg pool        7x7/1         1x1x1024
    dropout (40%), linear 1000

Auxiliary classifiers (Sec. 5): 5x5/3 average pool, 1x1 conv with 128 filters,
FC-1024, dropout 70%, linear; used only in training, their losses weighted by
0.3. The model returns ``(logits, [aux1, aux2])`` when ``training=True`` and
just the logits otherwise; the training loop adds 0.3 x their losses.

Exact count, built faithfully (biases, no BatchNorm, true 5x5 branches), 1000
classes at 224x224: 6,998,552 without the auxiliary heads, 13,378,280 with them.
(The paper's "12x fewer parameters than" AlexNet does not follow from this
count: 60,965,224 / 6,998,552 = 8.7x.) MACs: 1.583 G, 5.5% above the paper's
rounded budget of "1.5 billion multiply-adds" at inference. Table 1's ops column
is commonly summed to about 1.5 G too; the 5.5% gap has not been reconciled row
by row (the paper rounds each row to two digits).
torchvision's 6,624,904 comes from BatchNorm and 3x3 kernels
in the "5x5" branch (a known bug kept for its weights, pytorch/vision#906).

Deviations: none in the architecture; Caffe's ceil-mode pooling is written as
"same" padding, which gives Table 1's sizes.

``googlenet_mini`` keeps the nine modules, the auxiliary heads and their 0.3
weight for 32x32 images: the stem is one 3x3 conv (stride 1, 64 filters) and a
3x3/2 max pool, every module width is an eighth of Table 1's (at least 4), the modules run
at 16x16, 8x8 and 4x4, and the auxiliary heads pool 5x5/3 from 8x8 to 2x2 with
32 filters and FC-256. A plain 22-layer net of 4-channel branches barely moves in
50 steps, so the mini adds BatchNorm after every convolution (``batch_norm=True``,
as BN-Inception and torchvision's GoogLeNet do; the full model keeps the paper's
biases and no BatchNorm). 7.8 M MACs.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

from convnets.layers import AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool, LocalResponseNorm, MaxPool2D
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("googlenet", "GoogLeNet", Paper("Szegedy et al.", "Going Deeper with Convolutions", 2014, "1409.4842"), full="googlenet", mini="googlenet_mini")


class InceptionSpec(NamedTuple):
    """One row of Table 1."""

    n1x1: int
    n3x3_reduce: int
    n3x3: int
    n5x5_reduce: int
    n5x5: int
    pool_proj: int

    @property
    def out_channels(self) -> int:
        return self.n1x1 + self.n3x3 + self.n5x5 + self.pool_proj

    def scaled(self, f: float) -> "InceptionSpec":
        return InceptionSpec(*(max(4, int(round(v * f))) for v in self))


# Table 1. "pool" marks the 3x3/2 max pools between the groups.
INCEPTION_TABLE: list[tuple[str, InceptionSpec] | str] = [
    ("3a", InceptionSpec(64, 96, 128, 16, 32, 32)),
    ("3b", InceptionSpec(128, 128, 192, 32, 96, 64)),
    "pool",
    ("4a", InceptionSpec(192, 96, 208, 16, 48, 64)),
    ("4b", InceptionSpec(160, 112, 224, 24, 64, 64)),
    ("4c", InceptionSpec(128, 128, 256, 24, 64, 64)),
    ("4d", InceptionSpec(112, 144, 288, 32, 64, 64)),
    ("4e", InceptionSpec(256, 160, 320, 32, 128, 128)),
    "pool",
    ("5a", InceptionSpec(256, 160, 320, 32, 128, 128)),
    ("5b", InceptionSpec(384, 192, 384, 48, 128, 128)),
]
AUX_AFTER = ("4a", "4d")  # Sec. 5: "put on top of the output of the Inception (4a) and (4d) modules"


class ConvUnit(Block):
    """Convolution + ReLU as in the paper ("all convolutions ... use rectified linear
    activation"), or convolution + BatchNorm + ReLU with ``batch_norm=True``."""

    def __init__(self, cin: int, cout: int, k: int, name: str, stride: int = 1, batch_norm: bool = False):
        super().__init__(name=name)
        self.conv = Conv2D(cin, cout, k, stride, padding="same", use_bias=not batch_norm, w_init="glorot_uniform",
                           name="conv")
        self.bn = BatchNorm(cout, epsilon=1e-3, name="bn") if batch_norm else None
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x, training=training)
        return tf.nn.relu(x)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)


class Inception(Block):
    """Four parallel branches concatenated on channels (Fig. 2b)."""

    def __init__(self, in_channels: int, spec: InceptionSpec, batch_norm: bool = False, name: str | None = None):
        super().__init__(name=name)
        s, bn = spec, batch_norm
        self.b1 = ConvUnit(in_channels, s.n1x1, 1, "b1x1", batch_norm=bn)
        self.b2_reduce = ConvUnit(in_channels, s.n3x3_reduce, 1, "b3x3_reduce", batch_norm=bn)
        self.b2 = ConvUnit(s.n3x3_reduce, s.n3x3, 3, "b3x3", batch_norm=bn)
        self.b3_reduce = ConvUnit(in_channels, s.n5x5_reduce, 1, "b5x5_reduce", batch_norm=bn)
        self.b3 = ConvUnit(s.n5x5_reduce, s.n5x5, 5, "b5x5", batch_norm=bn)
        self.b4_pool = MaxPool2D(3, 1, padding="same", name="pool")
        self.b4 = ConvUnit(in_channels, s.pool_proj, 1, "pool_proj", batch_norm=bn)
        self.out_channels = s.out_channels

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        return tf.concat(
            [
                self.b1(x, training=t),
                self.b2(self.b2_reduce(x, training=t), training=t),
                self.b3(self.b3_reduce(x, training=t), training=t),
                self.b4(self.b4_pool(x), training=t),
            ],
            axis=-1,
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


class AuxClassifier(Block):
    """Sec. 5: avg pool 5x5/3, 1x1 conv, FC, dropout 70%, linear."""

    def __init__(self, in_shape: Shape, num_classes: int, conv: int = 128, fc: int = 1024, name: str | None = None):
        super().__init__(name=name)
        self.pool = AvgPool2D(5, 3, name="pool")
        self.conv = ConvUnit(in_shape[2], conv, 1, "conv")
        self.flatten = Flatten(name="flatten")
        h, w, _ = self.pool.output_shape(in_shape)
        self.fc = Dense(h * w * conv, fc, name="fc")
        self.drop = Dropout(0.7, name="drop")
        self.classifier = Dense(fc, num_classes, name="classifier")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv(self.pool(x))
        x = self.drop(tf.nn.relu(self.fc(self.flatten(x))), training=training)
        return self.classifier(x)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.classifier.out_features,)


class GoogLeNet(Model):
    def __init__(self, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), aux_logits: bool = True,
                 width: float = 1.0, mini: bool = False, dropout: float = 0.4, batch_norm: bool = False,
                 name: str = "googlenet"):
        super().__init__(num_classes, input_shape, name=name)
        self.mini = mini
        c = input_shape[2]
        if mini:
            self.stem = [ConvUnit(c, 64, 3, "conv1", batch_norm=batch_norm),
                         MaxPool2D(3, 2, padding="same", name="pool1")]  # 16x16x64
            channels = 64
            aux_conv, aux_fc = 32, 256
        else:
            self.stem = [
                ConvUnit(c, 64, 7, "conv1", stride=2, batch_norm=batch_norm),  # 112x112x64
                MaxPool2D(3, 2, padding="same", name="pool1"),  # 56x56x64
                LocalResponseNorm(name="norm1"),
                ConvUnit(64, 64, 1, "conv2_reduce", batch_norm=batch_norm),
                ConvUnit(64, 192, 3, "conv2", batch_norm=batch_norm),  # 56x56x192
                LocalResponseNorm(name="norm2"),
                MaxPool2D(3, 2, padding="same", name="pool2"),  # 28x28x192
            ]
            channels = 192
            aux_conv, aux_fc = 128, 1024
        shape = tuple(input_shape)
        for layer in self.stem:
            shape = layer.output_shape(shape)
        self.body: list = []
        self.aux: list[AuxClassifier] = []
        self._aux_after: list[int] = []
        pool_i = 3
        for row in INCEPTION_TABLE:
            if row == "pool":
                layer = MaxPool2D(3, 2, padding="same", name=f"pool{pool_i}")
                pool_i += 1
            else:
                label, spec = row
                layer = Inception(channels, spec.scaled(width), batch_norm, name=f"inception_{label}")
                channels = layer.out_channels
            self.body.append(layer)
            shape = layer.output_shape(shape)
            if aux_logits and row != "pool" and row[0] in AUX_AFTER:
                self.aux.append(AuxClassifier(shape, num_classes, aux_conv, aux_fc, name=f"aux{len(self.aux) + 1}"))
                self._aux_after.append(len(self.body) - 1)
        self.pool = GlobalAvgPool(name="avg_pool")  # Table 1's 7x7 average pool
        self.drop = Dropout(dropout, name="drop")
        self.fc = Dense(channels, num_classes, name="fc")

    def forward(self, x: tf.Tensor, training: bool = False):
        for layer in self.stem:
            x = layer(x, training=training)
        aux_out = []
        for i, layer in enumerate(self.body):
            x = layer(x, training=training)
            if training and i in self._aux_after:
                aux_out.append(self.aux[self._aux_after.index(i)](x, training=training))
        logits = self.fc(self.drop(self.pool(x), training=training))
        return (logits, aux_out) if training and aux_out else logits

    @property
    def main_params(self) -> int:
        """Trainable parameters without the auxiliary heads (what inference keeps)."""
        return self.trainable_params - sum(a.trainable_params for a in self.aux)


@register(FAMILY, params=(13_378_280, 13_378_280), macs=1_582_671_872, paper_params="about 6.8M by Table 1's rows", note='count includes both auxiliary heads; 6,998,552 without', paper_macs=(1.5e9, 'Sec. 5'), macs_tolerance=0.06)
def googlenet(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), aux_logits: bool = True,
              dropout: float = 0.4, batch_norm: bool = False) -> Model:
    """GoogLeNet / Inception v1 (Table 1) with auxiliary heads; 6,998,552 params without them."""
    return GoogLeNet(num_classes, input_shape, aux_logits, 1.0, False, dropout, batch_norm)


@register(FAMILY, params=(173_910, 175_790), macs=7_814_144, mini=True)
def googlenet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), aux_logits: bool = True,
                   dropout: float = 0.4, batch_norm: bool = True) -> Model:
    """GoogLeNet mini: 3x3 stem conv + pool, all nine modules at 1/8 width with BatchNorm, aux heads; for 32x32."""
    return GoogLeNet(num_classes, input_shape, aux_logits, 0.125, True, dropout, batch_norm, name="googlenet_mini")
