"""VGG: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556).

Table 1 lists the configurations, kept below as data (``VGG_A`` .. ``VGG_E``:
the 3x3 conv widths of each of the five blocks, each block closed by a 2x2/2 max
pool). All convolutions are 3x3, stride 1, padding 1, followed by ReLU (Sec.
2.1); after the five blocks come FC-4096, FC-4096, FC-1000, with dropout 0.5 on
the first two (Sec. 3.1). ``include_top=False`` returns the last pool's
7x7x512 map, as Keras's ``VGG16(include_top=False)``.

    config  depth  params (Table 2)  ours (1000 classes, 224x224)  MACs
    A       11     133M              132,863,336                   7.609 G
    B       13     133M              133,047,848                   11.308 G
    D       16     138M              138,357,544  (= Keras VGG16)  15.470 G
    E       19     144M              143,667,240  (= Keras VGG19)  19.632 G
    vgg*_bn: 132,868,840 / 133,053,736 / 138,365,992 / 143,678,248 trainable, as
    torchvision's vgg*_bn; the totals add the same again in BN statistics.

Deviations from the paper: the ``vgg*_bn`` models (``batch_norm=True`` in the
config) add BatchNorm after every convolution (not in the paper, which predates
it; torchvision's ``vgg*_bn``).
The paper's initialisation (train A, copy its layers into the deeper nets) is
replaced by Glorot initialisation, which Sec. 3.1 notes works as well.

``vgg_mini`` keeps the idea (stacks of 3x3 convs, doubling width after each
pool, a two-layer FC head with dropout) at 32x32: three stages of two convs with
16-32-64 filters instead of five stages up to 512, FC-128 instead of FC-4096,
and BatchNorm so it trains in a few epochs on a CPU: 221,530 parameters and
10.0 M MACs (VGG-16: 138M and 15.5 G).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import tensorflow as tf

from convnets.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, thread_shape
from convnets.layers.base import Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("vgg", "VGG", Paper("Simonyan & Zisserman", "Very Deep Convolutional Networks for Large-Scale Image "
                                    "Recognition", 2014, "1409.1556"), full="vgg16", mini="vgg_mini",
                problem="how deep, and with which kernel size?",
                idea="stacks of 3x3 convolutions: depth as the design axis")


@dataclass(frozen=True)
class VGGConfig:
    """One column of Table 1: blocks of 3x3 convolutions, each block closed by a 2x2/2 max pool."""

    stages: tuple[tuple[int, ...], ...]  # each block's "conv3-<width>" layers, e.g. (256, 256); a "maxpool" closes it
    fc_width: int = 4096  # the first two fully connected layers, "FC-4096"
    batch_norm: bool = False  # not in the paper (it predates BatchNorm): BN after every conv, as torchvision's vgg*_bn

    @property
    def depth(self) -> int:
        """Weight layers: the convolutions and the three fully connected layers (Table 1's "11 weight layers")."""
        return sum(len(stage) for stage in self.stages) + 3


# Table 1, columns A, B, D, E (A-LRN and C, with 1x1 convolutions, are not built).
VGG_A = VGGConfig(((64,), (128,), (256, 256), (512, 512), (512, 512)))
VGG_B = VGGConfig(((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)))
VGG_D = VGGConfig(((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)))
VGG_E = VGGConfig(((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512)))
# The mini: three blocks of two convolutions, 16-32-64, FC-128, BatchNorm.
VGG_MINI = VGGConfig(((16, 16), (32, 32), (64, 64)), fc_width=128, batch_norm=True)


class VGG(Model):
    """Stages of 3x3 convolutions and max pools, then three fully connected layers.

    The feature map (``include_top=False``) is the last pool's output, 7x7x512 at
    224x224 as Keras's ``VGG16(include_top=False)``; the head is the Flatten,
    fc1, fc2 and predictions. Option: ``dropout`` (0.5 in fc1 and fc2, Sec. 3.1).
    """

    def __init__(self, config: VGGConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.5,
                 name: str | None = None):
        name = name or f"vgg{config.depth}" + ("_bn" if config.batch_norm else "")
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        self.batch_norm = config.batch_norm
        # Keras Applications' layer names: block{stage}_conv{i}, block{stage}_pool, fc1, fc2, predictions.
        self.features: list[Layer] = []
        channels = input_shape[2]
        for stage, widths in enumerate(config.stages, start=1):
            for i, width in enumerate(widths, start=1):
                # Conv biases are kept with BatchNorm too, as torchvision's vgg*_bn do.
                self.features.append(Conv2D(channels, width, 3, padding=1, name=f"block{stage}_conv{i}"))
                if config.batch_norm:
                    self.features.append(BatchNorm(width, epsilon=1e-5, name=f"block{stage}_conv{i}_bn"))
                channels = width
            self.features.append(MaxPool2D(2, 2, name=f"block{stage}_pool"))
        self.num_features = channels
        self.flatten = Flatten(name="flatten")
        if include_top:
            flat = self.flatten.output_shape(self.feature_shape(input_shape))[0]
            self.fc1 = Dense(flat, config.fc_width, name="fc1")
            self.drop1 = Dropout(dropout, name="drop1")
            self.fc2 = Dense(config.fc_width, config.fc_width, name="fc2")
            self.drop2 = Dropout(dropout, name="drop2")
            self.predictions = Dense(config.fc_width, num_classes, name="predictions")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.features:
            x = layer(x, training=training)
            if isinstance(layer, BatchNorm) or (isinstance(layer, Conv2D) and not self.batch_norm):
                x = tf.nn.relu(x)
        return x  # 7x7x512

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.drop1(tf.nn.relu(self.fc1(self.flatten(x))), training=training)
        x = self.drop2(tf.nn.relu(self.fc2(x)), training=training)
        return self.predictions(x)

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape(self.features, input_shape)


TORCHVISION = "torchvision"
KERAS = "Keras Applications"
BN_NOTE = "BatchNorm is not in the paper"


@register(FAMILY, params=(132_863_336, 132_863_336), macs=7_609_090_048,
          references=[Reference(TORCHVISION, 132_863_336)], paper_params="133M (Table 2)",
          top1=(70.4, "paper Table 3, single scale 256"))
def vgg11(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-11 (configuration A); 132,863,336 trainable."""
    return VGG(VGG_A, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(132_868_840, 132_874_344), macs=7_609_090_048,
          references=[Reference(TORCHVISION, 132_868_840)], note=BN_NOTE,
          top1=(70.37, "torchvision IMAGENET1K_V1 (not in the paper)"))
def vgg11_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-11 (configuration A) with BatchNorm after every convolution (not in the paper); 132,868,840 trainable."""
    return VGG(replace(VGG_A, batch_norm=True), num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(133_047_848, 133_047_848), macs=11_308_466_176,
          references=[Reference(TORCHVISION, 133_047_848)], paper_params="133M",
          top1=(71.3, "paper Table 3, single scale 256"))
def vgg13(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-13 (configuration B); 133,047,848 trainable."""
    return VGG(VGG_B, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(133_053_736, 133_059_624), macs=11_308_466_176,
          references=[Reference(TORCHVISION, 133_053_736)], note=BN_NOTE,
          top1=(71.586, "torchvision IMAGENET1K_V1 (not in the paper)"))
def vgg13_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-13 (configuration B) with BatchNorm after every convolution (not in the paper); 133,053,736 trainable."""
    return VGG(replace(VGG_B, batch_norm=True), num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(138_357_544, 138_357_544), macs=15_470_264_320,
          references=[Reference(TORCHVISION, 138_357_544), Reference(KERAS, 138_357_544, 138_357_544)],
          paper_params="138M", paper_macs=(15.3e9, "ResNet paper, Sec. 4.1"),
          top1=(73.0, "paper Table 3, single scale 256"))
def vgg16(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-16 (configuration D); 138,357,544 trainable."""
    return VGG(VGG_D, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(138_365_992, 138_374_440), macs=15_470_264_320,
          references=[Reference(TORCHVISION, 138_365_992)], note=BN_NOTE,
          top1=(73.36, "torchvision IMAGENET1K_V1 (not in the paper)"))
def vgg16_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-16 (configuration D) with BatchNorm after every convolution (not in the paper); 138,365,992 trainable."""
    return VGG(replace(VGG_D, batch_norm=True), num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(143_667_240, 143_667_240), macs=19_632_062_464,
          references=[Reference(TORCHVISION, 143_667_240), Reference(KERAS, 143_667_240, 143_667_240)],
          paper_params="144M", paper_macs=(19.6e9, "ResNet paper, Sec. 4.1"),
          top1=(72.7, "paper Table 3, single scale 256"))
def vgg19(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-19 (configuration E); 143,667,240 trainable."""
    return VGG(VGG_E, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(143_678_248, 143_689_256), macs=19_632_062_464,
          references=[Reference(TORCHVISION, 143_678_248)], note=BN_NOTE,
          top1=(74.218, "torchvision IMAGENET1K_V1 (not in the paper)"))
def vgg19_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> VGG:
    """VGG-19 (configuration E) with BatchNorm after every convolution (not in the paper); 143,678,248 trainable."""
    return VGG(replace(VGG_E, batch_norm=True), num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(221_530, 221_978), macs=10_028_288, mini=True)
def vgg_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> VGG:
    """VGG mini: 3 stages of two 3x3 convs (16-32-64) with BatchNorm, FC-128 x2; for 32x32 images."""
    return VGG(VGG_MINI, num_classes=num_classes, input_shape=input_shape, name="vgg_mini", **options)
