"""Xception: Chollet, "Xception: Deep Learning with Depthwise Separable
Convolutions", CVPR 2017 (https://arxiv.org/abs/1610.02357).

The paper's hypothesis (Sec. 2): an Inception module maps cross-channel and spatial
correlations partly separately; take that to the extreme and map them entirely
separately, with depthwise separable convolutions (a spatial convolution per
channel, then a 1x1 convolution across channels; ``layers.SeparableConv2D``), and
give the network ResNet's shortcuts. Fig. 5, kept as data in ``XCEPTION``:

    flow    block     layers                                                     output (299x299 input)
    entry   block1    conv 3x3/2 32 (valid), ReLU, conv 3x3 64 (valid), ReLU       147x147x64
            block2    sep 128, ReLU, sep 128, max pool 3x3/2  + conv 1x1/2 128     74x74x128
            block3    ReLU, sep 256, ReLU, sep 256, max pool  + conv 1x1/2 256     37x37x256
            block4    ReLU, sep 728, ReLU, sep 728, max pool  + conv 1x1/2 728     19x19x728
    middle  block5-12 (ReLU, sep 728) x 3                     + identity, x 8      19x19x728
    exit    block13   ReLU, sep 728, ReLU, sep 1024, max pool + conv 1x1/2 1024    10x10x1024
            block14   sep 1536, ReLU, sep 2048, ReLU                               10x10x2048
                      global average pool, (optional fully connected layers), logistic regression

"sep" is a 3x3 separable convolution with no nonlinearity between its depthwise
and pointwise halves (Sec. 4.7 found none best) and no bias; every convolution is
followed by BatchNorm (Sec. 4.1: "not included in the diagram"; epsilon 1e-3, with
gamma and beta); the max pools are 3x3/2 with "same" padding. The layer names are
Keras Applications' (``block2_sepconv1``, ``block2_sepconv1_bn``, ...), so its
weights port by name (``convnets.from_keras``); only the 1x1 shortcuts, which Keras
leaves unnamed, are matched in the order Keras creates them.

Exact counts, 1000 classes at 299x299 (trainable / total with BatchNorm statistics):
22,855,952 / 22,910,480, equal to Keras Applications, and the trainable count is the
paper's own figure (Table 3: 22,855,952). 8,357,403,496 MACs (8.357 G: pointwise
7.574 G, depthwise 0.132 G, the stem and shortcut convolutions 0.649 G, the
classifier 2.05 M); the paper gives no FLOPs.

Deviations from the paper: none in the architecture. Sec. 4.3's dropout of 0.5
before the classifier is an option (``dropout``), off by default as in Keras. The
initialisation is Keras's Glorot-uniform (the paper does not give one).

``include_top=False`` returns block14's map after its last ReLU (10x10x2048 at
299x299), as Keras does.

``xception_mini`` (``XCEPTION_MINI``) is for 32x32 images and Fashion-MNIST's
28x28x1, designed to reach 91% on Fashion-MNIST within 10 minutes of 2-core CPU
training; measured: 92.68% after the 5-epoch fast recipe, 474 s of training (seed 0;
docs/results.md). How: the stem's two 3x3 convolutions at stride 1
with 16 and 32 filters (valid, as Fig. 5: 28 -> 24); two entry blocks, not three
(32 and 64 wide: 24 -> 12 -> 6); two middle blocks, not eight, at 64; the exit
block at 64 -> 128 (6 -> 3) and block14's pair at 128 and 256. Every block kind,
its shortcut and its ReLU placement stay. 123,994 trainable parameters and 7.5 M
MACs at 28x28x1 (124,282 and 10.7 M at 32x32x3; the full model's block2 alone costs
613 M). Separable convolutions are slow on a CPU for their MACs (depthwise kernels
are memory-bound): it trains at about 760 images per second here, a 79 s epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import (
    BatchNorm,
    Conv2D,
    ConvBN,
    Dense,
    Dropout,
    GlobalAvgPool,
    MaxPool2D,
    SeparableConv2D,
    thread_shape,
)
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("xception", "Xception",
                Paper("Chollet", "Xception: Deep Learning with Depthwise Separable Convolutions", 2016, "1610.02357"),
                full="xception", mini="xception_mini",
                problem="how far can inception's channel/space split go?",
                idea="depthwise separable convolutions all the way through")

BN_EPSILON = 1e-3  # Keras's BatchNormalization default, which Xception keeps


@dataclass(frozen=True)
class XceptionConfig:
    """Fig. 5 as data: the three flows' widths and repeats."""

    stem: tuple[int, int] = (32, 64)  # block1's two 3x3 convolutions (valid padding)
    stem_stride: int = 2  # block1_conv1's stride: 2 in Fig. 5; 1 in the mini (28x28 inputs)
    entry: tuple[int, ...] = (128, 256, 728)  # blocks 2-4: two separable convs, max pool 3x3/2, 1x1/2 shortcut
    middle_blocks: int = 8  # blocks 5-12: three separable convs at entry[-1] channels, identity shortcut
    exit: tuple[int, int] = (728, 1024)  # block13's two separable convs (then max pool, 1x1/2 shortcut)
    head: tuple[int, int] = (1536, 2048)  # block14's two separable convs, each with BatchNorm and ReLU


XCEPTION = XceptionConfig()
XCEPTION_MINI = XceptionConfig(stem=(16, 32), stem_stride=1, entry=(32, 64), middle_blocks=2, exit=(64, 128),
                               head=(128, 256))


def _sep(cin: int, cout: int, name: str) -> tuple[SeparableConv2D, BatchNorm]:
    """A 3x3 separable convolution (no bias) and its BatchNorm, named as Keras names them."""
    return SeparableConv2D(cin, cout, 3, padding="same", use_bias=False, name=name), \
        BatchNorm(cout, epsilon=BN_EPSILON, name=f"{name}_bn")


class EntryBlock(Block):
    """Blocks 2-4 and 13: [ReLU], sep, ReLU, sep, max pool 3x3/2, plus a 1x1/2 convolution of the input.

    Block 2 has no ReLU first: its input is the stem's, already rectified. The shortcut reads the input
    before that ReLU, as the residual of Fig. 5 branches off before it.
    """

    def __init__(self, cin: int, widths: tuple[int, int], relu_first: bool, name: str):
        super().__init__(name=name)
        w1, w2 = widths
        self.relu_first = relu_first
        self.sepconv1, self.sepconv1_bn = _sep(cin, w1, "sepconv1")
        self.sepconv2, self.sepconv2_bn = _sep(w1, w2, "sepconv2")
        self.pool = MaxPool2D(3, 2, padding="same", name="pool")
        self.residual = ConvBN(cin, w2, 1, 2, "same", act=None, bn_epsilon=BN_EPSILON, w_init="glorot_uniform",
                               name="residual")
        self.out_channels = w2

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        shortcut = self.residual(x, training=t)  # created first in Keras, as here
        y = tf.nn.relu(x) if self.relu_first else x
        y = tf.nn.relu(self.sepconv1_bn(self.sepconv1(y), training=t))
        y = self.pool(self.sepconv2_bn(self.sepconv2(y), training=t))
        return y + shortcut

    def output_shape(self, input_shape: Shape) -> Shape:
        self.residual.output_shape(input_shape)
        return self.pool.output_shape(self.sepconv2.output_shape(self.sepconv1.output_shape(input_shape)))


class MiddleBlock(Block):
    """Blocks 5-12: (ReLU, sep, BN) x 3 and an identity shortcut."""

    def __init__(self, channels: int, name: str):
        super().__init__(name=name)
        self.sepconv1, self.sepconv1_bn = _sep(channels, channels, "sepconv1")
        self.sepconv2, self.sepconv2_bn = _sep(channels, channels, "sepconv2")
        self.sepconv3, self.sepconv3_bn = _sep(channels, channels, "sepconv3")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = x
        for conv, bn in ((self.sepconv1, self.sepconv1_bn), (self.sepconv2, self.sepconv2_bn),
                         (self.sepconv3, self.sepconv3_bn)):
            y = bn(conv(tf.nn.relu(y)), training=training)
        return x + y

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.sepconv3.output_shape(self.sepconv2.output_shape(self.sepconv1.output_shape(input_shape)))


class ExitHead(Block):
    """Block 14: sep, BN, ReLU, sep, BN, ReLU (no shortcut)."""

    def __init__(self, cin: int, widths: tuple[int, int], name: str = "block14"):
        super().__init__(name=name)
        w1, w2 = widths
        self.sepconv1, self.sepconv1_bn = _sep(cin, w1, "sepconv1")
        self.sepconv2, self.sepconv2_bn = _sep(w1, w2, "sepconv2")
        self.out_channels = w2

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = tf.nn.relu(self.sepconv1_bn(self.sepconv1(x), training=training))
        return tf.nn.relu(self.sepconv2_bn(self.sepconv2(x), training=training))

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.sepconv2.output_shape(self.sepconv1.output_shape(input_shape))


class Stem(Block):
    """Block 1: conv 3x3/2 (valid), BN, ReLU, conv 3x3 (valid), BN, ReLU."""

    def __init__(self, cin: int, widths: tuple[int, int], stride: int, name: str = "block1"):
        super().__init__(name=name)
        w1, w2 = widths
        self.conv1 = Conv2D(cin, w1, 3, stride, "valid", use_bias=False, name="conv1")
        self.conv1_bn = BatchNorm(w1, epsilon=BN_EPSILON, name="conv1_bn")
        self.conv2 = Conv2D(w1, w2, 3, 1, "valid", use_bias=False, name="conv2")
        self.conv2_bn = BatchNorm(w2, epsilon=BN_EPSILON, name="conv2_bn")
        self.out_channels = w2

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = tf.nn.relu(self.conv1_bn(self.conv1(x), training=training))
        return tf.nn.relu(self.conv2_bn(self.conv2(x), training=training))

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv2.output_shape(self.conv1.output_shape(input_shape))


class Xception(Model):
    """Fig. 5's network: entry flow (block1-4), middle flow (block5-12), exit flow (block13-14), average pool,
    linear classifier. Option: ``dropout`` before the classifier (Sec. 4.3's 0.5; none in Keras)."""

    def __init__(self, config: XceptionConfig, *, num_classes: int = 1000, input_shape: Shape = (299, 299, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.0,
                 name: str = "xception"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if not config.entry:
            raise ConfigError("Xception needs at least one entry-flow block")
        self.stem = Stem(input_shape[2], config.stem, config.stem_stride)
        c, i = self.stem.out_channels, 2
        self.blocks: list[Block] = []
        for width in config.entry:  # entry flow
            self.blocks.append(EntryBlock(c, (width, width), relu_first=i > 2, name=f"block{i}"))
            c, i = width, i + 1
        for _ in range(config.middle_blocks):  # middle flow
            self.blocks.append(MiddleBlock(c, name=f"block{i}"))
            i += 1
        self.blocks.append(EntryBlock(c, config.exit, relu_first=True, name=f"block{i}"))  # exit flow
        self.head = ExitHead(config.exit[1], config.head, name=f"block{i + 1}")
        self.num_features = config.head[1]  # 2048
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(self.num_features, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.stem(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(x, training=training)  # 10x10x2048 at 299x299

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.stem, *self.blocks, self.head), input_shape)


KERAS = "Keras Applications"


@register(FAMILY, params=(22_855_952, 22_910_480), macs=8_357_403_496,
          references=[Reference(KERAS, 22_855_952, 22_910_480), Reference("timm", 22_855_952)],
          paper_params="22,855,952 (Table 3)",
          top1=(79.0, "paper Table 1, single crop"))
def xception(*, num_classes: int = 1000, input_shape: Shape = (299, 299, 3), **options: Any) -> Xception:
    """Xception (Fig. 5): entry, middle (8 blocks) and exit flows of separable convolutions; 22,855,952 params, 299x299."""
    return Xception(XCEPTION, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(124_282, 127_130), macs=10_722_368, mini=True)
def xception_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> Xception:
    """Xception mini: stride-1 stem, two entry, two middle and the exit blocks at 64-384 channels; for 32x32."""
    return Xception(XCEPTION_MINI, num_classes=num_classes, input_shape=input_shape, name="xception_mini",
                    **options)
