"""VGG: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556).

Table 1 lists the configurations, kept below as data (numbers are 3x3 conv
filters, "M" a 2x2/2 max pool). All convolutions are 3x3, stride 1, padding 1,
followed by ReLU; after the five stages come FC-4096, FC-4096, FC-1000, with
dropout 0.5 on the first two (Sec. 3.1).

    config  depth  params (Table 2)  ours (1000 classes, 224x224)  MACs
    A       11     133M              132,863,336                   7.609 G
    B       13     133M              133,047,848                   11.308 G
    D       16     138M              138,357,544  (= Keras VGG16)  15.470 G
    E       19     144M              143,667,240  (= Keras VGG19)  19.632 G
    with batch_norm=True: 132,868,840 / 133,053,736 / 138,365,992 / 143,678,248
    trainable, as torchvision's vgg*_bn; the totals add the same again in BN statistics.

Deviations from the paper: ``batch_norm=True`` adds BatchNorm after every
convolution (not in the paper, which predates it; torchvision's ``vgg*_bn``).
The paper's initialisation (train A, copy its layers into the deeper nets) is
replaced by Glorot initialisation, which Sec. 3.1 notes works as well.

``vgg_mini`` keeps the idea (stacks of 3x3 convs, doubling width after each
pool, a two-layer FC head with dropout) at 32x32: three stages of two convs with
16-32-64 filters instead of five stages up to 512, FC-128 instead of FC-4096,
and BatchNorm so it trains in a few epochs on a CPU: 221,530 parameters and
10.0 M MACs (VGG-16: 138M and 15.5 G).
"""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from convnets.layers.base import Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("vgg", "VGG", Paper("Simonyan & Zisserman", "Very Deep Convolutional Networks for Large-Scale Image Recognition", 2014, "1409.1556"), full="vgg16", mini="vgg_mini")

M = "M"
# Table 1, columns A, B, D, E.
CONFIGS: dict[str, list[int | str]] = {
    "A": [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "B": [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M],
    "D": [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M],
    "E": [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M],
    "mini": [16, 16, M, 32, 32, M, 64, 64, M],
}
DEPTH_TO_CONFIG = {11: "A", 13: "B", 16: "D", 19: "E"}


class VGG(Model):
    """Stages of 3x3 convolutions and max pools, then three fully connected layers."""

    def __init__(self, config: list[int | str], num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 batch_norm: bool = False, fc_width: int = 4096, dropout: float = 0.5, include_top: bool = True,
                 name: str = "vgg"):
        super().__init__(num_classes, input_shape, name=name)
        self.batch_norm = batch_norm
        # Keras Applications' layer names: block{stage}_conv{i}, block{stage}_pool, fc1, fc2, predictions.
        self.features: list[Layer] = []
        channels, stage, i = input_shape[2], 1, 1
        shape = tuple(input_shape)
        for v in config:
            if v == M:
                layer: Layer = MaxPool2D(2, 2, name=f"block{stage}_pool")
                self.features.append(layer)
                stage, i = stage + 1, 1
            else:
                # Conv biases are kept with BatchNorm too, as torchvision's vgg*_bn do.
                layer = Conv2D(channels, int(v), 3, padding=1, name=f"block{stage}_conv{i}")
                self.features.append(layer)
                if batch_norm:
                    self.features.append(BatchNorm(int(v), epsilon=1e-5, name=f"block{stage}_conv{i}_bn"))
                channels, i = int(v), i + 1
            shape = layer.output_shape(shape)
        self.flatten = Flatten(name="flatten")
        flat = self.flatten.output_shape(shape)[0]
        self.include_top = include_top
        if include_top:
            self.fc1 = Dense(flat, fc_width, name="fc1")
            self.drop1 = Dropout(dropout, name="drop1")
            self.fc2 = Dense(fc_width, fc_width, name="fc2")
            self.drop2 = Dropout(dropout, name="drop2")
            self.predictions = Dense(fc_width, num_classes, name="predictions")
        self.flat_features = flat

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.features:
            x = layer(x, training=training)
            if isinstance(layer, BatchNorm) or (isinstance(layer, Conv2D) and not self.batch_norm):
                x = tf.nn.relu(x)
        x = self.flatten(x)
        if not self.include_top:
            return x
        x = self.drop1(tf.nn.relu(self.fc1(x)), training=training)
        x = self.drop2(tf.nn.relu(self.fc2(x)), training=training)
        return self.predictions(x)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.num_classes,) if self.include_top else (self.flat_features,)


@register(FAMILY, params=(132_863_336, 132_863_336), macs=7_609_090_048, references=[Reference("torchvision", 132_863_336)], paper_params='133M (Table 2)')
def vgg11(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-11 (configuration A); 132,863,336 trainable."""
    return VGG(CONFIGS["A"], num_classes, input_shape, False, 4096, dropout, include_top, name="vgg11")


@register(FAMILY, params=(132_868_840, 132_874_344), macs=7_609_090_048, references=[Reference("torchvision", 132_868_840)], note='BatchNorm is not in the paper')
def vgg11_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-11 (configuration A) with BatchNorm after every convolution (not in the paper); 132,868,840 trainable."""
    return VGG(CONFIGS["A"], num_classes, input_shape, True, 4096, dropout, include_top, name="vgg11_bn")


@register(FAMILY, params=(133_047_848, 133_047_848), macs=11_308_466_176, references=[Reference("torchvision", 133_047_848)], paper_params='133M')
def vgg13(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-13 (configuration B); 133,047,848 trainable."""
    return VGG(CONFIGS["B"], num_classes, input_shape, False, 4096, dropout, include_top, name="vgg13")


@register(FAMILY, params=(133_053_736, 133_059_624), macs=11_308_466_176, references=[Reference("torchvision", 133_053_736)], note='BatchNorm is not in the paper')
def vgg13_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-13 (configuration B) with BatchNorm after every convolution (not in the paper); 133,053,736 trainable."""
    return VGG(CONFIGS["B"], num_classes, input_shape, True, 4096, dropout, include_top, name="vgg13_bn")


@register(FAMILY, params=(138_357_544, 138_357_544), macs=15_470_264_320, references=[Reference("torchvision", 138_357_544), Reference("Keras Applications", 138_357_544, 138_357_544)], paper_params='138M', paper_macs=(15.3e9, 'ResNet paper, Sec. 4.1'))
def vgg16(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-16 (configuration D); 138,357,544 trainable."""
    return VGG(CONFIGS["D"], num_classes, input_shape, False, 4096, dropout, include_top, name="vgg16")


@register(FAMILY, params=(138_365_992, 138_374_440), macs=15_470_264_320, references=[Reference("torchvision", 138_365_992)], note='BatchNorm is not in the paper')
def vgg16_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-16 (configuration D) with BatchNorm after every convolution (not in the paper); 138,365,992 trainable."""
    return VGG(CONFIGS["D"], num_classes, input_shape, True, 4096, dropout, include_top, name="vgg16_bn")


@register(FAMILY, params=(143_667_240, 143_667_240), macs=19_632_062_464, references=[Reference("torchvision", 143_667_240), Reference("Keras Applications", 143_667_240, 143_667_240)], paper_params='144M', paper_macs=(19.6e9, 'ResNet paper, Sec. 4.1'))
def vgg19(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-19 (configuration E); 143,667,240 trainable."""
    return VGG(CONFIGS["E"], num_classes, input_shape, False, 4096, dropout, include_top, name="vgg19")


@register(FAMILY, params=(143_678_248, 143_689_256), macs=19_632_062_464, references=[Reference("torchvision", 143_678_248)], note='BatchNorm is not in the paper')
def vgg19_bn(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), dropout: float = 0.5,
        include_top: bool = True) -> Model:
    """VGG-19 (configuration E) with BatchNorm after every convolution (not in the paper); 143,678,248 trainable."""
    return VGG(CONFIGS["E"], num_classes, input_shape, True, 4096, dropout, include_top, name="vgg19_bn")


@register(FAMILY, params=(221_530, 221_978), macs=10_028_288, mini=True)
def vgg_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), dropout: float = 0.5) -> Model:
    """VGG mini: 3 stages of two 3x3 convs (16-32-64) with BatchNorm, FC-128 x2; for 32x32 images."""
    return VGG(CONFIGS["mini"], num_classes, input_shape, batch_norm=True, fc_width=128, dropout=dropout,
               name="vgg_mini")
