"""ResNeXt: Xie, Girshick, Dollar, Tu & He, "Aggregated Residual Transformations
for Deep Neural Networks", CVPR 2017 (https://arxiv.org/abs/1611.05431).

A ResNeXt block splits a bottleneck's 3x3 convolution into C parallel paths of
the same shape, C the *cardinality*, each d channels wide, and sums them (Sec.
3.3, Fig. 3): forms (a) separate paths, (b) concatenation and (c) one grouped
convolution are the same function; (c) is built here, as the paper's code and
torchvision do. At the same parameters and MACs as ResNet-50, ResNeXt-50 (32x4d)
reaches 22.2% top-1 error against 23.9% (Table 3): more cardinality helps more
than more width or depth.

Table 1 (ImageNet, 224x224), ResNeXt-50 (32x4d) beside ResNet-50, as data below
(``RESNEXT50_32X4D``: ``depths``, ``cardinality`` C, ``base_width`` d):

    stage   output    ResNeXt-50 (32x4d)
    conv1   112x112   7x7, 64, stride 2
    conv2   56x56     3x3 max pool, stride 2;  [1x1, 128; 3x3, 128, C=32; 1x1, 256] x3
    conv3   28x28     [1x1, 256;  3x3, 256,  C=32; 1x1, 512]  x4
    conv4   14x14     [1x1, 512;  3x3, 512,  C=32; 1x1, 1024] x6
    conv5   7x7       [1x1, 1024; 3x3, 1024, C=32; 1x1, 2048] x3
            1x1       global average pool, 1000-d fc, softmax
    # params          25.0 x 10^6 (ResNet-50: 25.5 x 10^6)
    FLOPs             4.2 x 10^9  (ResNet-50: 4.1 x 10^9)

The grouped width of a stage is C * d * (stage width / 64): 128, 256, 512, 1024
for 32x4d. "Downsampling of conv3, 4, and 5 is done by stride-2 convolutions in
the 3x3 layer of the first block of each stage" (Sec. 4): the layout torchvision
calls ResNet "v1.5", so ``stride_in_1x1=False`` is the default here. Projection
shortcuts (1x1 conv + BN) where the shape changes; BatchNorm after every
convolution; the ReLU after each addition (ResNet's post-activation block).

CIFAR (Sec. 5.3, Table 7; ``resnext29_8x64d``, ``resnext29_16x64d``), as the
released ``models/resnext.lua`` (facebookresearch/ResNeXt) builds them: a 3x3
convolution of 64 filters with BN-ReLU, three stages of three blocks (29 layers)
on 32x32, 16x16 and 8x8 maps, stage widths 64, 128 and 256 (outputs 256, 512,
1024) with d = 64: grouped widths 512/1024/2048 (8x64d) and 1024/2048/4096
(16x64d); the stride in the grouped 3x3; 1x1 + BN projections; no conv biases.

Exact counts (trainable / total with BN statistics):

    resnext50_32x4d    25,028,904 / 25,097,128   torchvision 25,028,904;  4,230,479,872 MACs, torchvision's exactly
    resnext101_32x8d   88,791,336 / 88,994,216   torchvision 88,791,336; 16,414,015,488 MACs (not in the paper)
    resnext29_8x64d    34,426,698 / 34,484,170 (10 classes, 32x32)  paper 34.4M;  5,387,266,048 MACs
    resnext29_16x64d   68,155,210 / 68,255,690                      paper 68.1M; 10,688,866,304 MACs

The paper's ResNeXt-50 figure, 4.2 G "FLOPs" (Sec. 3.1 defines them as
multiply-adds), is 0.7% below our 4.230 G. Its CIFAR networks were pre-activated
in the arXiv version (the authors' README); the released code and the counts
above are post-activation. Neither torchvision nor timm has the CIFAR networks.

Differences: none from the paper in the architecture; He-normal initialisation
(torchvision: He-normal with fan-out). Options: ``stride_in_1x1`` (True: the
original ResNet's stride in the first 1x1, 7% fewer MACs), ``se_reduction``
(a squeeze-and-excitation block with C/r hidden units on each block's residual,
before the addition: SENet, see senet.py).

``groups=1`` with a wider d is Wide ResNet-50-2 (d = 128, wide_resnet.py), and
C = 1, d = 64 is ResNet-50 v1.5 itself: the same block serves all three.
``include_top=False`` returns the last block's map (7x7x2048 at 224x224).

``resnext_mini`` (``RESNEXT_MINI``) is a CIFAR ResNeXt-20: the 29-layer net's
stem and three stages at a quarter of the widths (stage widths 16, 32, 64;
outputs 64, 128, 256), two blocks per stage, cardinality 4 with d = 16 (grouped
widths 16, 32, 64: four groups of 4, 8 and 16 channels). 147,802 parameters
and 23.1 M MACs at 32x32 (17.5 M at 28x28x1). For the 10-minute budget: two blocks
a stage instead of three, and the grouped 3x3 run as one oneDNN convolution (as C
separate convolutions, the way Eigen's CPU kernels need them, the step ran at a
third of resnet20's speed; now about two thirds, layers/conv.py). Measured on
Fashion-MNIST: 91.20% after the 5-epoch fast recipe, 512 s of training on 2
cores (seed 0; docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import BatchNorm, Conv2D, ConvBN, Dense, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers.attention import SqueezeExcite
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register
from convnets.models.resnet import BOTTLENECK_EXPANSION

FAMILY = Family("resnext", "ResNeXt", Paper("Xie, Girshick, Dollar, Tu & He",
                                            "Aggregated Residual Transformations for Deep Neural Networks",
                                            2016, "1611.05431"),
                full="resnext50_32x4d", mini="resnext_mini",
                problem="widening or deepening costs parameters fast",
                idea="grouped convolutions: cardinality as a third dimension beside depth and width")


@dataclass(frozen=True)
class ResNeXtConfig:
    """One column of Table 1 (ImageNet) or a CIFAR network of Sec. 5.3."""

    depths: tuple[int, ...]  # blocks per stage: conv2 .. conv5 (ImageNet), 3 stages of 3 (CIFAR ResNeXt-29)
    cardinality: int  # C, "the size of the set of transformations" (Sec. 3.3): 32 in 32x4d
    base_width: int  # d, each path's width in the first stage (4 in 32x4d); doubles with every stage's width
    widths: tuple[int, ...] = (64, 128, 256, 512)  # each stage's width; the block's output is 4x (256 .. 2048)
    stem: str = "imagenet"  # "imagenet": 7x7/2, 64 + BN-ReLU + 3x3/2 max pool; "cifar": 3x3, 64 + BN-ReLU
    stem_width: int = 64

    def group_width(self, stage_width: int) -> int:
        """The grouped 3x3's channels in a stage: C x d x (stage width / 64)."""
        return int(stage_width * self.base_width / 64) * self.cardinality

    @property
    def depth(self) -> int:
        return 3 * sum(self.depths) + 2


RESNEXT50_32X4D = ResNeXtConfig((3, 4, 6, 3), cardinality=32, base_width=4)  # Table 1
RESNEXT101_32X8D = ResNeXtConfig((3, 4, 23, 3), cardinality=32, base_width=8)  # torchvision's; not in the paper
RESNEXT29_8X64D = ResNeXtConfig((3, 3, 3), cardinality=8, base_width=64, widths=(64, 128, 256), stem="cifar")
RESNEXT29_16X64D = ResNeXtConfig((3, 3, 3), cardinality=16, base_width=64, widths=(64, 128, 256), stem="cifar")
RESNEXT_MINI = ResNeXtConfig((2, 2, 2), cardinality=4, base_width=16, widths=(16, 32, 64), stem="cifar",
                             stem_width=16)
STEMS = ("imagenet", "cifar")


class ResNeXtBottleneck(Block):
    """1x1, grouped 3x3 (C paths of d channels), 1x1 (4x the stage width), each with BN; ReLU after the add (Fig. 3c).

    ``se_reduction``: a squeeze-and-excitation block on the residual before the
    addition (SENet, Fig. 3 there), C/r hidden units; None: none.
    """

    def __init__(self, in_channels: int, stage_width: int, group_width: int, cardinality: int, stride: int,
                 stride_in_1x1: bool = False, se_reduction: int | None = None, name: str | None = None):
        super().__init__(name=name)
        out = stage_width * BOTTLENECK_EXPANSION
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = ConvBN(in_channels, group_width, 1, s1, padding="valid", name="conv1")
        # The grouped 3x3 (ConvBN has no groups): conv, then its BatchNorm and ReLU in forward.
        self.conv2 = Conv2D(group_width, group_width, 3, s3, padding=1, groups=cardinality, use_bias=False,
                            w_init="he_normal", name="conv2")
        self.bn2 = BatchNorm(group_width, epsilon=1e-5, name="bn2")
        self.conv3 = ConvBN(group_width, out, 1, 1, padding="valid", act=None, name="conv3")
        self.se: Layer | None = SqueezeExcite(out, se_reduction, name="se") if se_reduction else None
        self.shortcut = (ConvBN(in_channels, out, 1, stride, padding="valid", act=None, name="shortcut")
                         if stride != 1 or in_channels != out else None)
        self.out_channels = out

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.conv1(x, training=training)
        y = tf.nn.relu(self.bn2(self.conv2(y), training=training))
        y = self.conv3(y, training=training)
        if self.se is not None:
            y = self.se(y)
        identity = x if self.shortcut is None else self.shortcut(x, training=training)  # torchvision's order
        return tf.nn.relu(y + identity)

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.conv2, self.conv3), input_shape)


class ResNeXt(Model):
    """Stem, stages of ResNeXt bottlenecks, global average pool, fc (ImageNet Table 1 or CIFAR Sec. 5.3).

    Options: ``stride_in_1x1`` (False: the paper's stride in the grouped 3x3;
    True: ResNet v1's, in the first 1x1), ``se_reduction`` (an SE block with C/r
    hidden units in every block; None: none).
    """

    def __init__(self, config: ResNeXtConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, stride_in_1x1: bool = False,
                 se_reduction: int | None = None, name: str | None = None):
        if config.stem not in STEMS:
            raise ConfigError(f"stem must be one of {STEMS}, got {config.stem!r}")
        if se_reduction is not None and (isinstance(se_reduction, bool) or se_reduction < 1):
            raise ConfigError(f"se_reduction must be a positive int (16 in SENet) or None, got {se_reduction!r}")
        super().__init__(num_classes, input_shape, name=name or f"resnext{config.depth}", include_top=include_top,
                         pooling=pooling)
        if config.stem == "imagenet":
            self.stem: list[Layer] = [ConvBN(input_shape[2], config.stem_width, 7, 2, padding=3, name="conv1"),
                                      MaxPool2D(3, 2, padding=1, name="pool1")]  # 112x112, 56x56
        else:
            self.stem = [ConvBN(input_shape[2], config.stem_width, 3, 1, padding=1, name="conv1")]  # 32x32
        channels = config.stem_width
        self.blocks: list[Block] = []
        first = 2 if config.stem == "imagenet" else 1  # conv2 .. conv5 (Table 1); stage1 .. stage3 (CIFAR)
        for stage, (width, n) in enumerate(zip(config.widths, config.depths)):
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1
                prefix = f"conv{stage + first}" if config.stem == "imagenet" else f"stage{stage + first}"
                block = ResNeXtBottleneck(channels, width, config.group_width(width), config.cardinality, stride,
                                          stride_in_1x1, se_reduction, name=f"{prefix}_block{i + 1}")
                self.blocks.append(block)
                channels = block.out_channels
        self.num_features = channels
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.stem:
            x = layer(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.stem, *self.blocks), input_shape)


TORCHVISION = "torchvision"


@register(FAMILY, params=(25_028_904, 25_097_128), macs=4_230_479_872, paper_params="25.0M (Table 1)",
          paper_macs=(4.2e9, "Table 1"), references=[Reference(TORCHVISION, 25_028_904)],
          top1=(77.8, "paper Table 3, single 224 crop"))
def resnext50_32x4d(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNeXt:
    """ResNeXt-50 (32x4d), Table 1: cardinality 32, 4 channels per path; 25,028,904 trainable, as torchvision."""
    return ResNeXt(RESNEXT50_32X4D, num_classes=num_classes, input_shape=input_shape, name="resnext50_32x4d",
                   **options)


@register(FAMILY, params=(88_791_336, 88_994_216), macs=16_414_015_488, paper_params="not in the paper",
          references=[Reference(TORCHVISION, 88_791_336)],
          note="torchvision's; the paper's 101-layer nets are 32x4d and 64x4d",
          top1=(79.312, "torchvision IMAGENET1K_V1 (not in the paper)"))
def resnext101_32x8d(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNeXt:
    """ResNeXt-101 (32x8d), torchvision's: 23 blocks in conv4, 8 channels per path; 88,791,336 trainable."""
    return ResNeXt(RESNEXT101_32X8D, num_classes=num_classes, input_shape=input_shape, name="resnext101_32x8d",
                   **options)


@register(FAMILY, params=(34_426_698, 34_484_170), macs=5_387_266_048, paper_params="34.4M (Table 7)",
          note="the released resnext.lua: post-activation blocks, no conv biases")
def resnext29_8x64d(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> ResNeXt:
    """ResNeXt-29 (8x64d) for CIFAR (Table 7): 3 stages of 3 blocks, cardinality 8, d=64; 34,426,698 trainable."""
    return ResNeXt(RESNEXT29_8X64D, num_classes=num_classes, input_shape=input_shape, name="resnext29_8x64d",
                   **options)


@register(FAMILY, params=(68_155_210, 68_255_690), macs=10_688_866_304, paper_params="68.1M (Table 7)")
def resnext29_16x64d(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> ResNeXt:
    """ResNeXt-29 (16x64d) for CIFAR (Table 7): cardinality 16, d=64; 68,155,210 trainable."""
    return ResNeXt(RESNEXT29_16X64D, num_classes=num_classes, input_shape=input_shape, name="resnext29_16x64d",
                   **options)


@register(FAMILY, params=(147_802, 151_418), macs=23_120_384, mini=True,
          note="ResNeXt-20 for 32x32: a quarter of ResNeXt-29's widths, 2 blocks per stage, 4 paths")
def resnext_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> ResNeXt:
    """ResNeXt mini: a CIFAR ResNeXt-20 with cardinality 4; for 32x32."""
    return ResNeXt(RESNEXT_MINI, num_classes=num_classes, input_shape=input_shape, name="resnext_mini", **options)
