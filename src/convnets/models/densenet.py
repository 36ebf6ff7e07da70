"""DenseNet: Huang, Liu, van der Maaten & Weinberger, "Densely Connected
Convolutional Networks", CVPR 2017 (https://arxiv.org/abs/1608.06993).

Each layer receives the concatenation of all earlier feature maps in its block
and adds ``k`` (the growth rate) new ones (Sec. 3, Fig. 1). DenseNet-B layers
are BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k); DenseNet-C transitions are
BN-ReLU-Conv(1x1, theta * m)-AvgPool(2x2) with compression theta = 0.5.

Table 1 (ImageNet, k = 32), kept as data in ``IMAGENET_BLOCKS``:

    layers        output    121       169       201       264
    convolution   112x112   7x7 conv, stride 2 (2k = 64 filters)
    pooling       56x56     3x3 max pool, stride 2
    dense (1)     56x56     x6        x6        x6        x6
    transition    28x28     1x1 conv, 2x2 avg pool
    dense (2)     28x28     x12       x12       x12       x12
    transition    14x14
    dense (3)     14x14     x24       x32       x48       x64
    transition    7x7
    dense (4)     7x7       x16       x32       x32       x48
    classification          global average pool, 1000-d fc, softmax

Exact counts (1000 classes, 224x224; trainable / total with BN statistics):
densenet121 7,978,856 / 8,062,504, densenet169 14,149,480 / 14,307,880,
densenet201 20,013,928 / 20,242,984: identical to Keras Applications and
torchvision. MACs 2.834 / 3.360 / 4.291 G (torchvision's "GFLOPS").

CIFAR (Sec. 4, "DenseNet-BC"): a 3x3 convolution with 2k filters, three dense
blocks on 32x32, 16x16 and 8x8 maps with (L - 4) / 6 bottleneck layers each,
compression 0.5. DenseNet-BC (L = 100, k = 12) has 769,162 parameters for 10
classes (Table 2: 0.8M) and 287.9 M MACs.

Deviations: none in the architecture.

``densenet_mini`` is DenseNet-BC with L = 40 (6 bottleneck layers per block) and
k = 8: the same block, bottleneck and compression at under half the depth and
two thirds of the growth rate: 79,850 parameters and 32.3 M MACs at 32x32
(DenseNet-BC-100: 769,162 and 287.9 M).
"""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import AvgPool2D, BatchNorm, Conv2D, ConvBN, Dense, GlobalAvgPool, MaxPool2D
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("densenet", "DenseNet", Paper("Huang, Liu, van der Maaten & Weinberger", "Densely Connected Convolutional Networks", 2016, "1608.06993"), full="densenet121", mini="densenet_mini")

# Table 1: layers per dense block.
IMAGENET_BLOCKS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32), 264: (6, 12, 64, 48)}
BOTTLENECK_WIDTH = 4  # "each 1x1 convolution produce 4k feature-maps" (Sec. 3)
COMPRESSION = 0.5  # theta, DenseNet-C (Sec. 3)


class DenseLayer(Block):
    """BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k); returns the input with k maps appended."""

    def __init__(self, in_channels: int, growth: int, bottleneck: bool = True, bn_epsilon: float = 1e-5,
                 name: str | None = None):
        super().__init__(name=name)
        self.norm1 = BatchNorm(in_channels, epsilon=bn_epsilon, name="norm1")
        width = BOTTLENECK_WIDTH * growth if bottleneck else None
        self.conv1 = Conv2D(in_channels, width, 1, use_bias=False, w_init="he_normal", name="conv1") if width else None
        self.norm2 = BatchNorm(width, epsilon=bn_epsilon, name="norm2") if width else None
        self.conv2 = Conv2D(width or in_channels, growth, 3, padding=1, use_bias=False, w_init="he_normal", name="conv2")
        self.out_channels = in_channels + growth

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = tf.nn.relu(self.norm1(x, training=training))
        if self.conv1 is not None:
            y = tf.nn.relu(self.norm2(self.conv1(y), training=training))
        return tf.concat([x, self.conv2(y)], axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


class Transition(Block):
    """BN-ReLU-Conv(1x1, theta*m)-AvgPool(2x2, stride 2) between blocks."""

    def __init__(self, in_channels: int, compression: float = COMPRESSION, bn_epsilon: float = 1e-5,
                 name: str | None = None):
        super().__init__(name=name)
        out = int(in_channels * compression)
        self.norm = BatchNorm(in_channels, epsilon=bn_epsilon, name="norm")
        self.conv = Conv2D(in_channels, out, 1, use_bias=False, w_init="he_normal", name="conv")
        self.pool = AvgPool2D(2, 2, name="pool")
        self.out_channels = out

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.pool(self.conv(tf.nn.relu(self.norm(x, training=training))))

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.pool.output_shape((*input_shape[:2], self.out_channels))


class DenseNet(Model):
    """Stem, dense blocks joined by transitions, BN-ReLU, global pooling, fc."""

    def __init__(self, blocks: tuple[int, ...], growth: int, num_classes: int, input_shape: Shape,
                 imagenet_stem: bool = True, bn_epsilon: float = 1e-5, include_top: bool = True, name: str = "densenet"):
        super().__init__(num_classes, input_shape, name=name)
        stem_channels = 2 * growth  # Sec. 3: "2k" for DenseNet-BC and Table 1's 64
        if imagenet_stem:
            self.stem = [
                ConvBN(input_shape[2], stem_channels, 7, 2, padding=3, bn_epsilon=bn_epsilon, name="conv1"),  # 112x112
                MaxPool2D(3, 2, padding=1, name="pool1"),  # 56x56
            ]
        else:
            self.stem = [Conv2D(input_shape[2], stem_channels, 3, padding=1, use_bias=False, w_init="he_normal", name="conv1")]
        channels = stem_channels
        self.body: list[Block] = []
        for b, n in enumerate(blocks):
            for i in range(n):
                layer = DenseLayer(channels, growth, bn_epsilon=bn_epsilon, name=f"conv{b + 2}_block{i + 1}")
                self.body.append(layer)
                channels = layer.out_channels
            if b < len(blocks) - 1:
                t = Transition(channels, bn_epsilon=bn_epsilon, name=f"pool{b + 2}")
                self.body.append(t)
                channels = t.out_channels
        self.norm = BatchNorm(channels, epsilon=bn_epsilon, name="bn")
        self.pool = GlobalAvgPool(name="avg_pool")
        self.features = channels
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.stem:
            x = layer(x, training=training)
        for layer in self.body:
            x = layer(x, training=training)
        x = self.pool(tf.nn.relu(self.norm(x, training=training)))
        return self.fc(x) if self.fc is not None else x

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.num_classes,) if self.fc is not None else (self.features,)


@register(FAMILY, params=(7_978_856, 8_062_504), macs=2_834_161_664,
          references=[Reference("torchvision", 7_978_856), Reference("Keras Applications", 7_978_856, 8_062_504)])
def densenet121(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
        bn_epsilon: float = 1e-5, include_top: bool = True) -> Model:
    """DenseNet-121 (Table 1, k=32); 7,978,856 trainable, as Keras and torchvision."""
    return DenseNet(IMAGENET_BLOCKS[121], growth_rate, num_classes, input_shape, True, bn_epsilon, include_top,
                    name="densenet121")


@register(FAMILY, params=(14_149_480, 14_307_880), macs=3_359_843_328,
          references=[Reference("torchvision", 14_149_480), Reference("Keras Applications", 14_149_480, 14_307_880)])
def densenet169(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
        bn_epsilon: float = 1e-5, include_top: bool = True) -> Model:
    """DenseNet-169 (Table 1, k=32); 14,149,480 trainable, as Keras and torchvision."""
    return DenseNet(IMAGENET_BLOCKS[169], growth_rate, num_classes, input_shape, True, bn_epsilon, include_top,
                    name="densenet169")


@register(FAMILY, params=(20_013_928, 20_242_984), macs=4_291_365_888,
          references=[Reference("torchvision", 20_013_928), Reference("Keras Applications", 20_013_928, 20_242_984)])
def densenet201(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
        bn_epsilon: float = 1e-5, include_top: bool = True) -> Model:
    """DenseNet-201 (Table 1, k=32); 20,013,928 trainable, as Keras and torchvision."""
    return DenseNet(IMAGENET_BLOCKS[201], growth_rate, num_classes, input_shape, True, bn_epsilon, include_top,
                    name="densenet201")


def _cifar_blocks(depth: int) -> tuple[int, int, int]:
    n = (depth - 4) // 6  # each bottleneck layer has two convolutions
    return (n, n, n)


@register(FAMILY, params=(769_162, 793_150), macs=287_929_692, paper_params='0.8M (Table 2)')
def densenet_bc100(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), growth_rate: int = 12) -> Model:
    """DenseNet-BC (L=100, k=12) for CIFAR (Sec. 4); 769,162 params (paper 0.8M)."""
    return DenseNet(_cifar_blocks(100), growth_rate, num_classes, input_shape, imagenet_stem=False, name="densenet_bc100")


@register(FAMILY, params=(79_850, 83_242), macs=32_310_128, mini=True)
def densenet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), growth_rate: int = 8) -> Model:
    """DenseNet mini: DenseNet-BC with L=40, k=8 (6 bottleneck layers per block); for 32x32."""
    return DenseNet(_cifar_blocks(40), growth_rate, num_classes, input_shape, imagenet_stem=False, name="densenet_mini")
