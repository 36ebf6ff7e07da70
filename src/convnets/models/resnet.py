"""ResNet: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition",
CVPR 2016 (https://arxiv.org/abs/1512.03385).

Table 1 (ImageNet, 224x224 input), as data below (``RESNET18`` .. ``RESNET152``):

    stage    output   18-layer      34-layer      50-layer          101-layer          152-layer
    conv1    112x112  7x7, 64, stride 2
    conv2_x  56x56    3x3 max pool, stride 2, then
                      [3x3,64]x2    [3x3,64]x3    [1x1,64 3x3,64 1x1,256]x3   x3        x3
    conv3_x  28x28    [3x3,128]x2   x4            [1x1,128 .. 1x1,512]x4      x4        x8
    conv4_x  14x14    [3x3,256]x2   x6            [1x1,256 .. 1x1,1024]x6     x23       x36
    conv5_x  7x7      [3x3,512]x2   x3            [1x1,512 .. 1x1,2048]x3     x3        x3
             1x1      average pool, 1000-d fc, softmax
    FLOPs             1.8e9         3.6e9         3.8e9             7.6e9              11.3e9

"Downsampling is performed by conv3_1, conv4_1, and conv5_1 with a stride of 2"
(Sec. 3.3). In the original (v1) bottleneck that stride sits in the first 1x1
conv, as in Keras; torchvision's "v1.5" moves it to the 3x3 (``stride_in_1x1=False``,
+7% MACs, same parameters). Projection shortcuts (option B) are used when the
shape changes. BatchNorm follows every convolution (Sec. 3.4).

Section 4.2 gives the CIFAR-10 networks (the "minis" here): a 3x3 conv with 16
filters, then three stages of n basic blocks on 32x32, 16x16 and 8x8 maps with
16, 32 and 64 filters, global average pooling and a 10-way fc: 6n+2 layers.
Shortcuts are identity, with zero-padding for the extra channels (option A), so
they add no parameters. Table 6: ResNet-20/32/44/56/110 have 0.27M/0.46M/0.66M/
0.85M/1.7M parameters.

Exact counts (1000 classes, 224x224; trainable / total with BN statistics):

    resnet18   11,689,512 / 11,699,112   torchvision 11,689,512
    resnet34   21,797,672 / 21,814,696   torchvision 21,797,672
    resnet50   25,557,032 / 25,610,152   torchvision 25,557,032; Keras (conv_bias=True) 25,583,592 / 25,636,712
    resnet101  44,549,160 / 44,654,504   torchvision 44,549,160
    resnet152  60,192,808 / 60,344,232   torchvision 60,192,808
    resnet20   269,722 (10 classes, 32x32)   paper 0.27M;   resnet32 464,154 (0.46M)
    resnet44   658,586 (0.66M);   resnet56 853,018 (0.85M);   resnet110 1,727,962 (1.7M)

Deviations from the paper: none in the architecture. ``conv_bias=True``
reproduces Keras Applications, whose convolutions keep a bias before BatchNorm
(26,560 extra parameters in ResNet-50).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("resnet", "ResNet", Paper("He, Zhang, Ren & Sun", "Deep Residual Learning for Image Recognition",
                                          2015, "1512.03385"), full="resnet50", mini="resnet20",
                problem="deeper plain nets train worse (degradation)",
                idea="shortcuts: each block learns a residual on top of the identity")


@dataclass(frozen=True)
class ResNetConfig:
    """One column of Table 1 (ImageNet, 224x224)."""

    block: str  # "basic": two 3x3 convs (18/34 layers); "bottleneck": 1x1, 3x3, 1x1 with 4x the filters (50+), Fig. 5
    depths: tuple[int, int, int, int]  # blocks in conv2_x .. conv5_x
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)  # filters of the 3x3 convs in conv2_x .. conv5_x
    stem_width: int = 64  # conv1: 7x7, 64, stride 2


# Table 1, one column each.
RESNET18 = ResNetConfig("basic", (2, 2, 2, 2))
RESNET34 = ResNetConfig("basic", (3, 4, 6, 3))
RESNET50 = ResNetConfig("bottleneck", (3, 4, 6, 3))
RESNET101 = ResNetConfig("bottleneck", (3, 4, 23, 3))
RESNET152 = ResNetConfig("bottleneck", (3, 8, 36, 3))
BOTTLENECK_EXPANSION = 4  # the last 1x1 of a bottleneck has 4x the filters (Fig. 5)


@dataclass(frozen=True)
class CifarResNetConfig:
    """Sec. 4.2: a 3x3 conv, then 3 stages of n basic blocks on 32, 16 and 8 pixels: 6n+2 layers."""

    n: int  # basic blocks per stage: depth 6n+2
    widths: tuple[int, int, int] = (16, 32, 64)  # filters per stage ("16, 32, 64", Sec. 4.2)

    @property
    def depth(self) -> int:
        return 6 * self.n + 2


RESNET20, RESNET32, RESNET44, RESNET56, RESNET110 = (CifarResNetConfig(n) for n in (3, 5, 7, 9, 18))


class ZeroPadShortcut(Layer):
    """Option A (Sec. 3.3): identity, subsampled by ``stride``, extra channels zero: no parameters."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, name: str = "shortcut"):
        super().__init__(name=name)
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if self.stride > 1:
            # x[:, ::s, ::s] written as a 1x1 max pool of stride s: the same values, but
            # the pool's gradient is a fast kernel where the strided slice's is not.
            x = tf.nn.max_pool2d(x, 1, self.stride, "VALID")
        extra = self.out_channels - self.in_channels
        return tf.pad(x, [[0, 0], [0, 0], [0, 0], [extra // 2, extra - extra // 2]])

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = input_shape
        return (-(-h // self.stride), -(-w // self.stride), self.out_channels)


class BasicBlock(Block):
    """Two 3x3 convolutions and a shortcut (Fig. 2, Fig. 5 left)."""

    def __init__(self, in_channels: int, width: int, stride: int, shortcut: str = "B", conv_bias: bool = False,
                 bn_epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name=name)
        out = width
        kw = dict(use_bias=conv_bias, bn_epsilon=bn_epsilon)
        self.conv1 = ConvBN(in_channels, width, 3, stride, padding=1, name="conv1", **kw)
        self.conv2 = ConvBN(width, out, 3, 1, padding=1, act=None, name="conv2", **kw)
        if shortcut not in ("A", "B", "none"):
            raise ConfigError(f"shortcut must be 'A', 'B' or 'none' (a plain net), got {shortcut!r}")
        self.residual = shortcut != "none"
        self.shortcut: Layer | None = None
        if self.residual and (stride != 1 or in_channels != out):
            self.shortcut = (
                ZeroPadShortcut(in_channels, out, stride)
                if shortcut == "A"
                else ConvBN(in_channels, out, 1, stride, padding="valid", act=None, name="shortcut", **kw)
            )
        self.out_channels = out

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.conv2(self.conv1(x, training=training), training=training)
        if not self.residual:  # the "plain" baseline of Sec. 4.1 / Fig. 6
            return tf.nn.relu(y)
        identity = x if self.shortcut is None else self.shortcut(x, training=training)
        return tf.nn.relu(y + identity)

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.conv2), input_shape)


class Bottleneck(Block):
    """1x1 reduce, 3x3, 1x1 expand (x4), plus a shortcut (Fig. 5 right)."""

    def __init__(self, in_channels: int, width: int, stride: int, stride_in_1x1: bool = True,
                 conv_bias: bool = False, bn_epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name=name)
        out = width * BOTTLENECK_EXPANSION
        kw = dict(use_bias=conv_bias, bn_epsilon=bn_epsilon)
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = ConvBN(in_channels, width, 1, s1, padding="valid", name="conv1", **kw)
        self.conv2 = ConvBN(width, width, 3, s3, padding=1, name="conv2", **kw)
        self.conv3 = ConvBN(width, out, 1, 1, padding="valid", act=None, name="conv3", **kw)
        self.shortcut = (
            ConvBN(in_channels, out, 1, stride, padding="valid", act=None, name="shortcut", **kw)
            if stride != 1 or in_channels != out
            else None
        )
        self.out_channels = out

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.conv1(x, training=training)
        y = self.conv2(y, training=training)
        y = self.conv3(y, training=training)
        # The shortcut runs after the residual branch, in torchvision's order (from_torch pairs layers in
        # that order; Keras, matched by name, builds it first): the order does not change the result.
        identity = x if self.shortcut is None else self.shortcut(x, training=training)
        return tf.nn.relu(y + identity)

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.conv2, self.conv3), input_shape)


class ResNet(Model):
    """The ImageNet ResNets of Table 1.

    Options: ``stride_in_1x1`` (v1: the stride sits in a bottleneck's first 1x1, as
    Keras; False is torchvision's "v1.5", +7% MACs), ``conv_bias`` (Keras keeps a
    bias in every convolution), ``bn_epsilon`` (Keras uses 1.001e-5).
    """

    def __init__(self, config: ResNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, stride_in_1x1: bool = True,
                 conv_bias: bool = False, bn_epsilon: float = 1e-5):
        depth = 2 + sum(config.depths) * (2 if config.block == "basic" else 3)
        super().__init__(num_classes, input_shape, name=f"resnet{depth}", include_top=include_top, pooling=pooling)
        kw = dict(conv_bias=conv_bias, bn_epsilon=bn_epsilon)
        self.conv1 = ConvBN(input_shape[2], config.stem_width, 7, 2, padding=3, use_bias=conv_bias,
                            bn_epsilon=bn_epsilon, name="conv1")  # 112x112
        self.pool1 = MaxPool2D(3, 2, padding=1, name="pool1")  # 56x56
        channels = config.stem_width
        self.blocks: list[Block] = []
        for stage, (width, n) in enumerate(zip(config.widths, config.depths)):
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1  # conv3_1, conv4_1, conv5_1 (Sec. 3.3)
                name = f"conv{stage + 2}_block{i + 1}"
                if config.block == "basic":
                    block: Block = BasicBlock(channels, width, stride, name=name, **kw)
                else:
                    block = Bottleneck(channels, width, stride, stride_in_1x1, name=name, **kw)
                self.blocks.append(block)
                channels = block.out_channels
        self.num_features = channels  # 512 or 2048
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.pool1(self.conv1(x, training=training))
        for block in self.blocks:
            x = block(x, training=training)
        return x  # 7x7

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.pool1, *self.blocks), input_shape)


class CifarResNet(Model):
    """The 6n+2-layer CIFAR-10 ResNets of Sec. 4.2 (option A shortcuts).

    ``shortcut="none"`` gives the paper's plain counterpart (same layers, no
    shortcuts; Fig. 6 left), for seeing the degradation problem; ``width`` scales
    the stages' filters (16 in the paper).
    """

    def __init__(self, config: CifarResNetConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 include_top: bool = True, pooling: str | None = None, shortcut: str = "A", width: int = 16):
        super().__init__(num_classes, input_shape, name=f"resnet{config.depth}", include_top=include_top,
                         pooling=pooling)
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ConfigError(f"width must be a positive int, got {width!r}")
        widths = [w * width // config.widths[0] for w in config.widths]  # 16, 32, 64 in the paper
        self.conv1 = ConvBN(input_shape[2], widths[0], 3, 1, padding=1, name="conv1")  # 32x32
        channels = widths[0]
        self.blocks = []
        for stage, w in enumerate(widths):
            for i in range(config.n):
                stride = 2 if i == 0 and stage > 0 else 1  # 32 -> 16 -> 8
                self.blocks.append(BasicBlock(channels, w, stride, shortcut=shortcut, name=f"stage{stage + 1}_block{i + 1}"))
                channels = w
        self.num_features = channels
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return x  # 8x8

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, *self.blocks), input_shape)


# --- Table 1's networks -----------------------------------------------------------------
TORCHVISION = "torchvision"
KERAS = "Keras Applications"


@register(FAMILY, params=(11_689_512, 11_699_112), macs=1_814_073_344, paper_macs=(1.8e9, "Table 1"),
          references=[Reference(TORCHVISION, 11_689_512)],
          top1=(69.758, "torchvision IMAGENET1K_V1 (the paper: 10-crop only)"))
def resnet18(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNet:
    """ResNet-18 (Table 1): basic blocks, 224x224; 11,689,512 trainable, as torchvision."""
    return ResNet(RESNET18, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(21_797_672, 21_814_696), macs=3_663_761_408, paper_macs=(3.6e9, "Table 1"),
          references=[Reference(TORCHVISION, 21_797_672)],
          top1=(73.314, "torchvision IMAGENET1K_V1 (the paper: 10-crop only)"))
def resnet34(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNet:
    """ResNet-34 (Table 1): basic blocks, 224x224; 21,797,672 trainable, as torchvision."""
    return ResNet(RESNET34, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(25_557_032, 25_610_152), macs=3_857_973_248, paper_macs=(3.8e9, "Table 1"),
          references=[Reference(TORCHVISION, 25_557_032),
                      Reference(KERAS, 25_583_592, 25_636_712, {"conv_bias": True})],
          note="Keras keeps a bias in every convolution: conv_bias=True reproduces its counts",
          top1=(76.13, "torchvision IMAGENET1K_V1 (the paper: 10-crop only)"))
def resnet50(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNet:
    """ResNet-50 v1 (Table 1): bottlenecks, stride in the first 1x1; 25,557,032 trainable as torchvision
    (Keras Applications, with conv_bias=True: 25,583,592)."""
    return ResNet(RESNET50, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(44_549_160, 44_654_504), macs=7_570_194_432, paper_macs=(7.6e9, "Table 1"),
          references=[Reference(TORCHVISION, 44_549_160),
                      Reference(KERAS, 44_601_832, 44_707_176, {"conv_bias": True})],
          top1=(77.374, "torchvision IMAGENET1K_V1 (the paper: 10-crop only)"))
def resnet101(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNet:
    """ResNet-101 v1 (Table 1): bottlenecks; 44,549,160 trainable, as torchvision."""
    return ResNet(RESNET101, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(60_192_808, 60_344_232), macs=11_282_415_616, paper_macs=(11.3e9, "Table 1"),
          references=[Reference(TORCHVISION, 60_192_808),
                      Reference(KERAS, 60_268_520, 60_419_944, {"conv_bias": True})],
          top1=(78.312, "torchvision IMAGENET1K_V1 (the paper: 10-crop only)"))
def resnet152(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNet:
    """ResNet-152 v1 (Table 1): bottlenecks; 60,192,808 trainable, as torchvision."""
    return ResNet(RESNET152, num_classes=num_classes, input_shape=input_shape, **options)


# --- Sec. 4.2's CIFAR-10 networks: ResNet-20 is the family's mini --------------------------
@register(FAMILY, params=(269_722, 271_098), macs=40_551_040, paper_params="0.27M (Table 6)", mini=True,
          note="option A shortcuts (zero-padded identity: no parameters)")
def resnet20(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarResNet:
    """CIFAR ResNet-20 (Sec. 4.2, option A), the family's mini; 269,722 trainable (paper 0.27M)."""
    return CifarResNet(RESNET20, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(464_154, 466_426), macs=68_862_592, paper_params="0.46M (Table 6)")
def resnet32(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarResNet:
    """CIFAR ResNet-32 (Sec. 4.2, option A); 464,154 trainable (paper 0.46M)."""
    return CifarResNet(RESNET32, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(658_586, 661_754), macs=97_174_144, paper_params="0.66M (Table 6)")
def resnet44(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarResNet:
    """CIFAR ResNet-44 (Sec. 4.2, option A); 658,586 trainable (paper 0.66M)."""
    return CifarResNet(RESNET44, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(853_018, 857_082), macs=125_485_696, paper_params="0.85M (Table 6)")
def resnet56(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarResNet:
    """CIFAR ResNet-56 (Sec. 4.2, option A); 853,018 trainable (paper 0.85M)."""
    return CifarResNet(RESNET56, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(1_727_962, 1_736_058), macs=252_887_680, paper_params="1.7M (Table 6)")
def resnet110(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarResNet:
    """CIFAR ResNet-110 (Sec. 4.2, option A); 1,727,962 trainable (paper 1.7M)."""
    return CifarResNet(RESNET110, num_classes=num_classes, input_shape=input_shape, **options)
