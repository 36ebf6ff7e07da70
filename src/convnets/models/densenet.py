"""DenseNet: Huang, Liu, van der Maaten & Weinberger, "Densely Connected
Convolutional Networks", CVPR 2017 (https://arxiv.org/abs/1608.06993).

Each layer receives the concatenation of all earlier feature maps in its block
and adds ``k`` (the growth rate) new ones (Sec. 3, Fig. 1). DenseNet-B layers
are BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k); DenseNet-C transitions are
BN-ReLU-Conv(1x1, theta * m)-AvgPool(2x2) with compression theta = 0.5.

Table 1 (ImageNet, k = 32), kept as data in ``DENSENET121`` .. ``DENSENET264``:

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

``include_top=False`` returns the last dense block's map after its BN-ReLU
(7x7x1024 for DenseNet-121 at 224x224), as Keras Applications does.

``densenet_mini`` (``DENSENET_MINI``) is DenseNet-BC with L = 40 (6 bottleneck
layers per block) and k = 8: the same block, bottleneck and compression at under
half the depth and two thirds of the growth rate: 79,850 parameters. Its stem
convolution has stride 2 (the ImageNet network's stem halves the resolution too),
so the blocks run on 16x16, 8x8 and 4x4 maps at 32x32 (14, 7 and 3 at 28x28):
8.1 M MACs at 32x32 (DenseNet-BC-100: 769,162 and 287.9 M). At stride 1,
as in Sec. 4, it was 32.3 M MACs and trained at 451 images/s on 2 cores (batch 256,
28x28x1); at stride 2, 1,527: Fashion-MNIST to 91% in minutes, not half an hour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import AvgPool2D, BatchNorm, Conv2D, ConvBN, Dense, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("densenet", "DenseNet", Paper("Huang, Liu, van der Maaten & Weinberger",
                                              "Densely Connected Convolutional Networks", 2016, "1608.06993"),
                full="densenet121", mini="densenet_mini",
                problem="features are recomputed layer after layer",
                idea="dense connections: every layer sees the concatenated maps of all before it")

BOTTLENECK_WIDTH = 4  # "each 1x1 convolution produce 4k feature-maps" (Sec. 3)
COMPRESSION = 0.5  # theta, DenseNet-C (Sec. 3)


@dataclass(frozen=True)
class DenseNetConfig:
    """One column of Table 1, or a CIFAR DenseNet-BC of Sec. 4."""

    blocks: tuple[int, ...]  # layers per dense block: Table 1's "x 6", "x 12", ...; (L - 4) / 6 each on CIFAR
    growth_rate: int = 32  # k, "the growth rate of the network" (Sec. 3): 32 in Table 1, 12 for DenseNet-BC-100
    # "imagenet": Table 1's 7x7/2 convolution with 2k filters (BN, ReLU) and 3x3/2 max pool; "cifar": one 3x3
    # convolution with 2k filters, "on the input images" (Sec. 4, DenseNet-BC).
    stem: str = "imagenet"
    stem_stride: int = 1  # the "cifar" stem's stride: 1 in Sec. 4; 2 in the mini, which starts at half resolution
    bottleneck_width: int = BOTTLENECK_WIDTH  # the 1x1 of DenseNet-B produces 4k maps (Sec. 3)
    compression: float = COMPRESSION  # theta, DenseNet-C's transition compression (Sec. 3)


def cifar_blocks(depth: int) -> tuple[int, int, int]:
    """Sec. 4: three blocks of (L - 4) / 6 bottleneck layers (each has two convolutions)."""
    n = (depth - 4) // 6
    return (n, n, n)


# Table 1, one column each; DenseNet-BC (L=100, k=12) of Table 2; the mini, DenseNet-BC with L=40, k=8.
DENSENET121 = DenseNetConfig((6, 12, 24, 16))
DENSENET169 = DenseNetConfig((6, 12, 32, 32))
DENSENET201 = DenseNetConfig((6, 12, 48, 32))
DENSENET264 = DenseNetConfig((6, 12, 64, 48))
DENSENET_BC100 = DenseNetConfig(cifar_blocks(100), growth_rate=12, stem="cifar")
DENSENET_MINI = DenseNetConfig(cifar_blocks(40), growth_rate=8, stem="cifar", stem_stride=2)


class DenseLayer(Block):
    """BN-ReLU-Conv(1x1, 4k)-BN-ReLU-Conv(3x3, k); returns the input with k maps appended."""

    def __init__(self, in_channels: int, growth: int, bottleneck_width: int | None = BOTTLENECK_WIDTH,
                 bn_epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name=name)
        self.norm1 = BatchNorm(in_channels, epsilon=bn_epsilon, name="norm1")
        width = bottleneck_width * growth if bottleneck_width else None  # None: no 1x1 (DenseNet without -B)
        self.conv1 = Conv2D(in_channels, width, 1, use_bias=False, w_init="he_normal", name="conv1") if width else None
        self.norm2 = BatchNorm(width, epsilon=bn_epsilon, name="norm2") if width else None
        self.conv2 = Conv2D(width or in_channels, growth, 3, padding=1, use_bias=False, w_init="he_normal",
                            name="conv2")
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
    """Stem, dense blocks joined by transitions, BN-ReLU; global average pooling and fc on top.

    Option: ``bn_epsilon`` (Keras Applications uses 1.001e-5).
    """

    def __init__(self, config: DenseNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, bn_epsilon: float = 1e-5,
                 name: str = "densenet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        k = config.growth_rate
        if k < 1:
            raise ConfigError(f"growth_rate must be >= 1, got {k}")
        stem_channels = 2 * k  # Sec. 3: "2k" for DenseNet-BC and Table 1's 64
        if config.stem == "imagenet":
            self.stem: list[Layer] = [
                ConvBN(input_shape[2], stem_channels, 7, 2, padding=3, bn_epsilon=bn_epsilon, name="conv1"),  # 112x112
                MaxPool2D(3, 2, padding=1, name="pool1"),  # 56x56
            ]
        elif config.stem == "cifar":
            self.stem = [Conv2D(input_shape[2], stem_channels, 3, config.stem_stride, padding=1, use_bias=False,
                                w_init="he_normal", name="conv1")]
        else:
            raise ConfigError(f"DenseNet stem must be 'imagenet' or 'cifar', got {config.stem!r}")
        channels = stem_channels
        self.body: list[Block] = []
        for b, n in enumerate(config.blocks):
            for i in range(n):
                layer = DenseLayer(channels, k, config.bottleneck_width, bn_epsilon=bn_epsilon,
                                   name=f"conv{b + 2}_block{i + 1}")
                self.body.append(layer)
                channels = layer.out_channels
            if b < len(config.blocks) - 1:
                t = Transition(channels, config.compression, bn_epsilon=bn_epsilon, name=f"pool{b + 2}")
                self.body.append(t)
                channels = t.out_channels
        self.norm = BatchNorm(channels, epsilon=bn_epsilon, name="bn")
        self.num_features = channels  # 1024 for DenseNet-121
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.stem:
            x = layer(x, training=training)
        for layer in self.body:
            x = layer(x, training=training)
        return tf.nn.relu(self.norm(x, training=training))  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.stem, *self.body), input_shape)


KERAS = "Keras Applications"


@register(FAMILY, params=(7_978_856, 8_062_504), macs=2_834_161_664,
          references=[Reference("torchvision", 7_978_856), Reference(KERAS, 7_978_856, 8_062_504)],
          top1=(74.98, "paper Table 3, single crop"))
def densenet121(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
                **options: Any) -> DenseNet:
    """DenseNet-121 (Table 1, k=32); 7,978,856 trainable, as Keras and torchvision."""
    return DenseNet(replace(DENSENET121, growth_rate=growth_rate), num_classes=num_classes, input_shape=input_shape,
                    name="densenet121", **options)


@register(FAMILY, params=(14_149_480, 14_307_880), macs=3_359_843_328,
          references=[Reference("torchvision", 14_149_480), Reference(KERAS, 14_149_480, 14_307_880)],
          top1=(76.2, "paper Table 3, single crop"))
def densenet169(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
                **options: Any) -> DenseNet:
    """DenseNet-169 (Table 1, k=32); 14,149,480 trainable, as Keras and torchvision."""
    return DenseNet(replace(DENSENET169, growth_rate=growth_rate), num_classes=num_classes, input_shape=input_shape,
                    name="densenet169", **options)


@register(FAMILY, params=(20_013_928, 20_242_984), macs=4_291_365_888,
          references=[Reference("torchvision", 20_013_928), Reference(KERAS, 20_013_928, 20_242_984)],
          top1=(77.42, "paper Table 3, single crop"))
def densenet201(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), growth_rate: int = 32,
                **options: Any) -> DenseNet:
    """DenseNet-201 (Table 1, k=32); 20,013,928 trainable, as Keras and torchvision."""
    return DenseNet(replace(DENSENET201, growth_rate=growth_rate), num_classes=num_classes, input_shape=input_shape,
                    name="densenet201", **options)


@register(FAMILY, params=(769_162, 793_150), macs=287_929_692, paper_params="0.8M (Table 2)")
def densenet_bc100(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), growth_rate: int = 12,
                   **options: Any) -> DenseNet:
    """DenseNet-BC (L=100, k=12) for CIFAR (Sec. 4); 769,162 params (paper 0.8M)."""
    return DenseNet(replace(DENSENET_BC100, growth_rate=growth_rate), num_classes=num_classes,
                    input_shape=input_shape, name="densenet_bc100", **options)


@register(FAMILY, params=(79_850, 83_242), macs=8_078_192, mini=True)
def densenet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), growth_rate: int = 8,
                  **options: Any) -> DenseNet:
    """DenseNet mini: DenseNet-BC with L=40, k=8 (6 bottleneck layers per block), stride-2 stem; for 32x32."""
    return DenseNet(replace(DENSENET_MINI, growth_rate=growth_rate), num_classes=num_classes,
                    input_shape=input_shape, name="densenet_mini", **options)
