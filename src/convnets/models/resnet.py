"""ResNet: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition",
CVPR 2016 (https://arxiv.org/abs/1512.03385).

Table 1 (ImageNet, 224x224 input), as data below in ``IMAGENET_DEPTHS``:

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

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, GlobalAvgPool, MaxPool2D
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import register_variant

PAPER = "He et al. 2015, Deep Residual Learning for Image Recognition"

# Table 1: block type and number of blocks in conv2_x .. conv5_x.
IMAGENET_DEPTHS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
STAGE_WIDTHS = (64, 128, 256, 512)  # Table 1: filters of the 3x3 convs in conv2_x .. conv5_x
BOTTLENECK_EXPANSION = 4  # the last 1x1 has 4x the filters (Fig. 5)

# Sec. 4.2: 6n+2 layers; n = 3, 5, 7, 9, 18 for 20, 32, 44, 56, 110 layers.
CIFAR_DEPTHS = {20: 3, 32: 5, 44: 7, 56: 9, 110: 18}
CIFAR_WIDTHS = (16, 32, 64)


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
        return self.conv2.output_shape(self.conv1.output_shape(input_shape))


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
        # Keras builds the shortcut first; the order does not change the result.
        identity = x if self.shortcut is None else self.shortcut(x, training=training)
        y = self.conv1(x, training=training)
        y = self.conv2(y, training=training)
        y = self.conv3(y, training=training)
        return tf.nn.relu(y + identity)

    def output_shape(self, input_shape: Shape) -> Shape:
        s = input_shape
        for layer in (self.conv1, self.conv2, self.conv3):
            s = layer.output_shape(s)
        return s


class ResNet(Model):
    """ImageNet ResNet of Table 1."""

    def __init__(self, depth: int, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 stride_in_1x1: bool = True, conv_bias: bool = False, bn_epsilon: float = 1e-5,
                 include_top: bool = True):
        super().__init__(num_classes, input_shape, name=f"resnet{depth}")
        kind, counts = IMAGENET_DEPTHS[depth]
        kw = dict(conv_bias=conv_bias, bn_epsilon=bn_epsilon)
        self.conv1 = ConvBN(input_shape[2], 64, 7, 2, padding=3, use_bias=conv_bias, bn_epsilon=bn_epsilon, name="conv1")  # 112x112
        self.pool1 = MaxPool2D(3, 2, padding=1, name="pool1")  # 56x56
        channels = 64
        self.blocks: list[Block] = []
        for stage, (width, n) in enumerate(zip(STAGE_WIDTHS, counts)):
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1  # conv3_1, conv4_1, conv5_1
                name = f"conv{stage + 2}_block{i + 1}"
                if kind == "basic":
                    block: Block = BasicBlock(channels, width, stride, name=name, **kw)
                else:
                    block = Bottleneck(channels, width, stride, stride_in_1x1, name=name, **kw)
                self.blocks.append(block)
                channels = block.out_channels
        self.pool = GlobalAvgPool(name="avg_pool")
        self.features = channels
        self.include_top = include_top
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.pool1(self.conv1(x, training=training))
        for block in self.blocks:
            x = block(x, training=training)
        x = self.pool(x)  # (N, 512 or 2048)
        return self.fc(x) if self.fc is not None else x

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.num_classes,) if self.fc is not None else (self.features,)


class CifarResNet(Model):
    """The 6n+2-layer CIFAR-10 ResNets of Sec. 4.2 (option A shortcuts).

    ``shortcut="none"`` gives the paper's plain counterpart (same layers, no
    shortcuts; Fig. 6 left), for seeing the degradation problem."""

    def __init__(self, depth: int, num_classes: int = 10, input_shape: Shape = (32, 32, 3), shortcut: str = "A",
                 width: int = 16):
        super().__init__(num_classes, input_shape, name=f"resnet{depth}")
        if depth not in CIFAR_DEPTHS and (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = CIFAR_DEPTHS.get(depth, (depth - 2) // 6)
        widths = [width * m for m in (1, 2, 4)]  # 16, 32, 64 in the paper
        self.conv1 = ConvBN(input_shape[2], widths[0], 3, 1, padding=1, name="conv1")  # 32x32
        channels = widths[0]
        self.blocks = []
        for stage, w in enumerate(widths):
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1  # 32 -> 16 -> 8
                block = BasicBlock(channels, w, stride, shortcut=shortcut, name=f"stage{stage + 1}_block{i + 1}")
                self.blocks.append(block)
                channels = w
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self.fc(self.pool(x))


def _imagenet(depth: int):
    def build(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), stride_in_1x1: bool = True,
              conv_bias: bool = False, bn_epsilon: float = 1e-5, include_top: bool = True) -> Model:
        return ResNet(depth, num_classes, input_shape, stride_in_1x1, conv_bias, bn_epsilon, include_top)

    return build


def _cifar(depth: int):
    def build(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), shortcut: str = "A", width: int = 16) -> Model:
        return CifarResNet(depth, num_classes, input_shape, shortcut, width)

    return build


_IMAGENET_DOCS = {
    18: "ResNet-18 (Table 1), basic blocks; 11,689,512 params as torchvision.",
    34: "ResNet-34 (Table 1), basic blocks; 21,797,672 params as torchvision.",
    50: "ResNet-50 v1 (Table 1), bottlenecks; 25,557,032 params (Keras with conv_bias=True).",
    101: "ResNet-101 v1 (Table 1), bottlenecks; 44,549,160 params.",
    152: "ResNet-152 v1 (Table 1), bottlenecks; 60,192,808 params.",
}
_CIFAR_DOCS = {
    20: "CIFAR ResNet-20 (Sec. 4.2, option A): the ResNet mini; 269,722 params (paper 0.27M).",
    32: "CIFAR ResNet-32 (Sec. 4.2, option A); 464,154 params (paper 0.46M).",
    44: "CIFAR ResNet-44 (Sec. 4.2, option A); 658,586 params (paper 0.66M).",
    56: "CIFAR ResNet-56 (Sec. 4.2, option A); 853,018 params (paper 0.85M).",
    110: "CIFAR ResNet-110 (Sec. 4.2, option A); 1,727,962 params (paper 1.7M).",
}

for _d, _doc in _IMAGENET_DOCS.items():
    register_variant(f"resnet{_d}", _imagenet(_d), _doc, family="resnet", input_shape=(224, 224, 3), paper=PAPER)
for _d, _doc in _CIFAR_DOCS.items():
    register_variant(f"resnet{_d}", _cifar(_d), _doc, family="resnet", input_shape=(32, 32, 3), num_classes=10,
                     paper=PAPER)
