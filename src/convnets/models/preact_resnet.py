"""Pre-activation ResNet (ResNet v2): He, Zhang, Ren & Sun, "Identity Mappings in
Deep Residual Networks", ECCV 2016 (https://arxiv.org/abs/1603.05027).

The paper's question is what the shortcut and the addition should be so that a
signal passes unchanged from any unit to any other, forward and backward: an
identity shortcut, and nothing after the addition (Sec. 3-4). So the ReLU that
ResNet applies after the addition moves, with BatchNorm, to the start of the
residual branch: a *full pre-activation* unit is BN-ReLU-conv, BN-ReLU-conv(,
BN-ReLU-conv) added to its unchanged input (Fig. 4e, Table 2: 6.37% against the
original unit's 6.61% on CIFAR-10 with ResNet-110). As no unit ends in an
activation, a last BN-ReLU follows the final addition, before the pool.

ImageNet (``resnet50v2``, ``resnet101v2``, ``resnet152v2``): the bottleneck
stages of ResNet's Table 1 (``RESNET50`` .. ``RESNET152`` in resnet.py), built as
Keras Applications builds ResNet50V2/101V2/152V2 (``keras/src/applications/
resnet.py``, ``residual_block_v2`` and ``stack_residual_blocks_v2``), which is
the TF-slim ``resnet_v2`` layout:

- the stem is the 7x7/2 convolution (with a bias) and the 3x3/2 max pool, with no
  BatchNorm or ReLU between them (the first unit's pre-activation follows);
- each stage's first unit has a 1x1 projection shortcut (with a bias, no
  BatchNorm) on the pre-activated input; the others add their input itself;
- a stage halves the map in its *last* unit, with a stride-2 3x3 and a 1x1/2 max
  pool as the identity shortcut (conv2 to conv4; conv5 keeps its 7x7), where the
  paper and ResNet v1 do it in the first unit: 3.48 G MACs rather than 4.09 G;
- convolutions keep a bias where no BatchNorm follows them (the stem, the
  projections and each unit's last 1x1: 19,008 parameters in ResNet50V2), BN's
  epsilon is 1.001e-5, and the stem's pool pads with zeros (``ZeroPadding2D``):
  the stem has no ReLU, so a padded zero can win the max where TF-slim's and
  PyTorch's padding never does.

``downsample="first"`` with ``conv_bias=False`` is the paper's own unit instead
(the authors' released ``resnet-pre-act.lua``, KaimingHe/resnet-1k-layers):
each stage's first unit subsamples, with the stride in its first 1x1 and in
the projection shortcut, and no convolution has a bias. The paper gives no
ImageNet parameter or MAC counts (Table 5 reports ResNet-152 and -200 errors
only); the ResNet-200 it trained used fb.resnet.torch's ``preresnet.lua``,
which puts the stride in the 3x3, keeps BN-ReLU after the stem and adds
BatchNorm to the projections: that variant is not built.

CIFAR (Sec. 4 and Table 4; ``preact_resnet164``, ``preact_resnet1001``), as the
authors' ``resnet-pre-act.lua`` builds them: a 3x3/16 convolution, then three
stages of (depth - 2) / 9 bottleneck units of widths 16, 32 and 64 (x4 out) on
32x32, 16x16 and 8x8; each stage's first unit shares its BN-ReLU between the
branch and a 1x1 projection shortcut (no BatchNorm) and carries the stride in
its first 1x1; no convolution has a bias; BN-ReLU, global average pool, fc.

Exact counts (trainable / total with BN statistics):

    resnet50v2    25,568,360 / 25,613,800   Keras ResNet50V2 exactly;  3,482,255,360 MACs, Keras's exactly
    resnet101v2   44,577,896 / 44,675,560   Keras ResNet101V2;         7,194,476,544
    resnet152v2   60,236,904 / 60,380,648   Keras ResNet152V2;        10,906,697,728
    preact_resnet164    1,703,258 / 1,727,482 (10 classes, 32x32)  paper 1.7M;    244,500,992 MACs
    preact_resnet1001  10,327,706 / 10,476,922                      paper 10.2M;  1,487,849,984 MACs
    preact_resnet20       269,722 / 271,098 (the mini; resnet20's counts: BatchNorm moves, none is added)

timm's ``resnetv2_50`` (25,549,352) is ResNet50V2 without the conv biases,
subsampling in the first unit: ``downsample="first", conv_bias=False`` has its
count exactly, but with the stride in the first 1x1, as the paper's code, where
timm has it in the 3x3 (3.858 G MACs here, 4.089 G in timm). torchvision has no
pre-activation ResNet. The paper's "10.2M" for ResNet-1001 counts the
convolution and fc weights without BatchNorm (10,178,490); with BN's gamma and
beta it is 10,327,706.

Differences from the paper: the ImageNet models' layout is Keras's (above);
``downsample="first", conv_bias=False`` gives the paper's unit. Initialisation is
He-normal (the paper's Torch code: N(0, 2/(k*k*out))).

``include_top=False`` returns the map after the last BN-ReLU (7x7x2048 for
ResNet50V2 at 224x224), as Keras does.

``preact_resnet20`` (the mini) is ResNet-20 of Sec. 4.2 of the first ResNet
paper with full pre-activation basic units (BN-ReLU-3x3, BN-ReLU-3x3), the same
widths (16, 32, 64) and option A shortcuts (zero-padded identity, on the unit's
input), and the last BN-ReLU: it sits beside ``resnet20`` to compare the two
units on the same data and schedule. The paper's CIFAR basic-unit networks
(ResNet-110 in Table 2, Fig. 6) use this unit with projection shortcuts
(``shortcut="B"``: 272,282 parameters). The pre-activation moves BatchNorm
without adding any: both have 269,722 parameters and 40.6 M MACs. The mini keeps
ResNet-20's depth and widths so the comparison stays about the unit; the 10-minute
budget on Fashion-MNIST is met by the recipe instead (5 epochs of AdamW on a
warm-up and cosine, batch 256, recipes.py): measured 92.63% in 346 s of training
on 2 cores (seed 0; docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import BatchNorm, Conv2D, ConvBN, Dense, Dropout, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers import padding as pad
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register
from convnets.models.resnet import BOTTLENECK_EXPANSION, RESNET50, RESNET101, RESNET152, ResNetConfig, ZeroPadShortcut

FAMILY = Family("preact_resnet", "Pre-activation ResNet (ResNet v2)",
                Paper("He, Zhang, Ren & Sun", "Identity Mappings in Deep Residual Networks", 2016, "1603.05027"),
                full="resnet50v2", mini="preact_resnet20",
                problem="very deep ResNets (1000 layers) stop improving",
                idea="pre-activation units: BatchNorm and ReLU before each convolution, a clean identity path")

KERAS_BN_EPSILON = 1.001e-5  # Keras Applications' BatchNorm epsilon in every ResNet
DOWNSAMPLES = ("last", "first")


@dataclass(frozen=True)
class CifarPreActConfig:
    """Sec. 4's CIFAR networks: a 3x3/16 convolution, then 3 stages of n units on 32, 16 and 8 pixels."""

    block: str  # "bottleneck": BN-ReLU-1x1, BN-ReLU-3x3, BN-ReLU-1x1 (x4 out), depth 9n+2; "basic": two 3x3, 6n+2
    n: int  # units per stage
    widths: tuple[int, int, int] = (16, 32, 64)  # filters of the 3x3 convs per stage (x4 out of a bottleneck)

    @property
    def depth(self) -> int:
        return (9 if self.block == "bottleneck" else 6) * self.n + 2


# Table 4's networks (ResNet-164: n = 18; ResNet-1001: n = 111) and the mini (ResNet-20's n = 3).
PREACT_RESNET164 = CifarPreActConfig("bottleneck", 18)
PREACT_RESNET1001 = CifarPreActConfig("bottleneck", 111)
PREACT_RESNET20 = CifarPreActConfig("basic", 3)


class ZeroPaddedMaxPool(MaxPool2D):
    """Max pooling over a zero-padded input, as Keras's ``ZeroPadding2D`` then ``MaxPooling2D`` (ResNet v2's stem)."""

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x, padding = pad.pad_for_window(x, self.padding, self.pool_size, self.stride, value=0.0)
        return tf.nn.max_pool2d(x, self.pool_size, self.stride, padding)


class PreActBottleneck(Block):
    """BN-ReLU, then 1x1, BN-ReLU, 3x3, BN-ReLU, 1x1 (x4), added to the shortcut (Fig. 4e with Fig. 5's bottleneck).

    ``projection``: a 1x1 convolution (no BatchNorm) on the pre-activated input as the
    shortcut; otherwise the input itself, subsampled by a 1x1 max pool if ``stride`` > 1
    (Keras). ``stride_in_1x1``: the stride in the first 1x1 (the paper's code) or the 3x3 (Keras).
    ``conv_bias``: a bias in the projection and the last 1x1 (Keras).
    """

    def __init__(self, in_channels: int, width: int, stride: int, projection: bool, stride_in_1x1: bool = False,
                 conv_bias: bool = False, bn_epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name=name)
        out = width * BOTTLENECK_EXPANSION
        self.preact_bn = BatchNorm(in_channels, epsilon=bn_epsilon, name="preact_bn")
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        if not projection and in_channels != out:
            raise ConfigError(f"{name}: an identity shortcut needs in_channels == {out}, got {in_channels}")
        self.shortcut: Layer | None = (
            Conv2D(in_channels, out, 1, stride, use_bias=conv_bias, w_init="he_normal", name="shortcut") if projection
            else ZeroPadShortcut(in_channels, out, stride) if stride > 1 else None)
        self.projection = projection
        self.conv1 = ConvBN(in_channels, width, 1, s1, padding="valid", bn_epsilon=bn_epsilon, name="conv1")
        self.conv2 = ConvBN(width, width, 3, s3, padding=1, bn_epsilon=bn_epsilon, name="conv2")
        self.conv3 = Conv2D(width, out, 1, use_bias=conv_bias, w_init="he_normal", name="conv3")
        self.out_channels = out

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        pre = tf.nn.relu(self.preact_bn(x, training=training))
        if self.projection:
            identity = self.shortcut(pre)
        else:  # the unit's input itself: nothing on the shortcut path (Sec. 3)
            identity = x if self.shortcut is None else self.shortcut(x)
        y = self.conv3(self.conv2(self.conv1(pre, training=training), training=training))
        return identity + y

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.conv2, self.conv3), input_shape)


class PreActBasicBlock(Block):
    """BN-ReLU-3x3, BN-ReLU-(dropout)-3x3, added to the shortcut (Fig. 4e; Wide ResNet's unit).

    ``shortcut`` where the shape changes: "A" (the input subsampled and zero-padded, no
    parameters) or "B" (a 1x1 convolution, no BatchNorm, on the pre-activated input).
    ``dropout``: between the two convolutions, after the BN-ReLU (Wide ResNet, Sec. 2.4).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, shortcut: str = "B", dropout: float = 0.0,
                 bn_epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name=name)
        if shortcut not in ("A", "B"):
            raise ConfigError(f"shortcut must be 'A' (zero-padded identity) or 'B' (1x1 projection), got {shortcut!r}")
        self.preact_bn = BatchNorm(in_channels, epsilon=bn_epsilon, name="preact_bn")
        self.conv1 = ConvBN(in_channels, out_channels, 3, stride, padding=1, bn_epsilon=bn_epsilon, name="conv1")
        self.dropout = Dropout(dropout, name="dropout") if dropout else None
        self.conv2 = Conv2D(out_channels, out_channels, 3, 1, padding=1, use_bias=False, w_init="he_normal",
                            name="conv2")
        self.projection = shortcut == "B" and (stride != 1 or in_channels != out_channels)
        self.shortcut: Layer | None = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = (Conv2D(in_channels, out_channels, 1, stride, use_bias=False, w_init="he_normal",
                                    name="shortcut") if self.projection
                             else ZeroPadShortcut(in_channels, out_channels, stride))
        self.out_channels = out_channels

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        pre = tf.nn.relu(self.preact_bn(x, training=training))
        if self.projection:
            identity = self.shortcut(pre)
        else:
            identity = x if self.shortcut is None else self.shortcut(x)
        y = self.conv1(pre, training=training)
        if self.dropout is not None:
            y = self.dropout(y, training=training)
        return identity + self.conv2(y)

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.conv1, self.conv2), input_shape)


class PreActBody(Model):
    """What the pre-activation networks (ImageNet and CIFAR, and Wide ResNet) share: a stem, the units,
    then the last unit's output still needs its BatchNorm and ReLU (the units pre-activate), the global
    pool and the fc."""

    conv1: Conv2D
    blocks: list[Block]

    def stem(self) -> tuple[Layer, ...]:
        """The layers before the first unit: conv1 (the ImageNet networks add their max pool)."""
        return (self.conv1,)

    def _finish(self, channels: int, num_classes: int, include_top: bool, epsilon: float = 1e-5) -> None:
        self.num_features = channels
        self.post_bn = BatchNorm(channels, epsilon=epsilon, name="post_bn")  # the BN-ReLU after the last addition
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.stem():
            x = layer(x)
        for block in self.blocks:
            x = block(x, training=training)
        return tf.nn.relu(self.post_bn(x, training=training))  # 7x7 (ImageNet), 8x8 (CIFAR)

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.stem(), *self.blocks), input_shape)


class PreActResNet(PreActBody):
    """ResNet v2 on ImageNet: Table 1's bottleneck stages with full pre-activation units.

    Options: ``downsample`` ("last": Keras's and TF-slim's, each stage but the last
    halves the map in its last unit; "first": the paper's, in each stage's first unit,
    with the stride in the unit's first 1x1), ``conv_bias`` (Keras's biases in the
    stem, the projections and each unit's last 1x1), ``bn_epsilon`` (Keras's 1.001e-5).
    """

    def __init__(self, config: ResNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, downsample: str = "last",
                 conv_bias: bool = True, bn_epsilon: float = KERAS_BN_EPSILON):
        if config.block != "bottleneck":
            raise ConfigError("the ImageNet pre-activation ResNets here are the bottleneck ones (50, 101, 152 layers)")
        if downsample not in DOWNSAMPLES:
            raise ConfigError(f"downsample must be 'last' (Keras, TF-slim) or 'first' (the paper), got {downsample!r}")
        depth = 2 + 3 * sum(config.depths)
        super().__init__(num_classes, input_shape, name=f"resnet{depth}v2", include_top=include_top, pooling=pooling)
        self.conv1 = Conv2D(input_shape[2], config.stem_width, 7, 2, padding=3, use_bias=conv_bias, w_init="he_normal",
                            name="conv1")  # 112x112; no BN-ReLU: the first unit pre-activates
        self.pool1 = ZeroPaddedMaxPool(3, 2, padding=1, name="pool1")  # 56x56
        channels = config.stem_width
        self.blocks: list[Block] = []
        last_stage = len(config.depths) - 1
        for stage, (width, n) in enumerate(zip(config.widths, config.depths)):
            for i in range(n):
                if downsample == "last":  # conv2_block3, conv3_block4, conv4_block6 (ResNet-50)
                    stride = 2 if i == n - 1 and stage < last_stage else 1
                else:  # conv3_1, conv4_1, conv5_1, as ResNet (Sec. 3.3 there)
                    stride = 2 if i == 0 and stage > 0 else 1
                block = PreActBottleneck(channels, width, stride, projection=i == 0,
                                         stride_in_1x1=downsample == "first", conv_bias=conv_bias,
                                         bn_epsilon=bn_epsilon, name=f"conv{stage + 2}_block{i + 1}")
                self.blocks.append(block)
                channels = block.out_channels
        self._finish(channels, num_classes, include_top, bn_epsilon)  # 2048 features

    def stem(self) -> tuple[Layer, ...]:
        return (self.conv1, self.pool1)


class CifarPreActResNet(PreActBody):
    """The CIFAR networks of Sec. 4 (bottleneck, 9n+2 layers) and the basic-unit mini (6n+2).

    Options: ``shortcut`` where the shape changes ("B": a 1x1 projection on the
    pre-activated input, the paper's; "A": zero-padded identity, the mini's), and
    ``width`` (the first stage's filters, 16 in the paper; the others scale with it).
    """

    def __init__(self, config: CifarPreActConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 include_top: bool = True, pooling: str | None = None, shortcut: str = "B", width: int = 16,
                 name: str | None = None):
        super().__init__(num_classes, input_shape, name=name or f"preact_resnet{config.depth}",
                         include_top=include_top, pooling=pooling)
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ConfigError(f"width must be a positive int, got {width!r}")
        widths = [w * width // config.widths[0] for w in config.widths]
        self.conv1 = Conv2D(input_shape[2], widths[0], 3, 1, padding=1, use_bias=False, w_init="he_normal",
                            name="conv1")  # 32x32; the first unit pre-activates
        channels = widths[0]
        self.blocks: list[Block] = []
        for stage, w in enumerate(widths):
            for i in range(config.n):
                stride = 2 if i == 0 and stage > 0 else 1  # 32 -> 16 -> 8
                name_i = f"stage{stage + 1}_block{i + 1}"
                if config.block == "bottleneck":
                    if shortcut != "B":
                        raise ConfigError("the bottleneck networks have projection shortcuts (shortcut='B') only")
                    block: Block = PreActBottleneck(channels, w, stride, projection=i == 0, stride_in_1x1=True,
                                                    name=name_i)
                else:
                    block = PreActBasicBlock(channels, w, stride, shortcut=shortcut, name=name_i)
                self.blocks.append(block)
                channels = block.out_channels
        self._finish(channels, num_classes, include_top)


KERAS = "Keras Applications"


@register(FAMILY, params=(25_568_360, 25_613_800), macs=3_482_255_360,
          references=[Reference(KERAS, 25_568_360, 25_613_800),
                      Reference("timm resnetv2_50", 25_549_352, options={"downsample": "first", "conv_bias": False})],
          note="Keras's layout (TF-slim's): each stage halves the map in its last unit; downsample='first' is "
               "the paper's",
          top1=(76.0, "Keras Applications table"))
def resnet50v2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> PreActResNet:
    """ResNet-50 v2 (pre-activation), as Keras's ResNet50V2; 25,568,360 trainable / 25,613,800 total."""
    return PreActResNet(RESNET50, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(44_577_896, 44_675_560), macs=7_194_476_544,
          references=[Reference(KERAS, 44_577_896, 44_675_560)],
          top1=(77.2, "Keras Applications table"))
def resnet101v2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> PreActResNet:
    """ResNet-101 v2 (pre-activation), as Keras's ResNet101V2; 44,577,896 trainable / 44,675,560 total."""
    return PreActResNet(RESNET101, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(60_236_904, 60_380_648), macs=10_906_697_728,
          references=[Reference(KERAS, 60_236_904, 60_380_648)],
          top1=(78.9, "paper Table 5, single 320x320 crop (Keras: 78.0 at 224)"))
def resnet152v2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> PreActResNet:
    """ResNet-152 v2 (pre-activation), as Keras's ResNet152V2; 60,236,904 trainable / 60,380,648 total."""
    return PreActResNet(RESNET152, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(1_703_258, 1_727_482), macs=244_500_992, paper_params="1.7M (Table 4)",
          note="the authors' resnet-pre-act.lua: projection shortcuts, stride in the first 1x1, no conv biases")
def preact_resnet164(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> CifarPreActResNet:
    """Pre-activation ResNet-164 for CIFAR (Table 4): 18 bottleneck units per stage; 1,703,258 trainable."""
    return CifarPreActResNet(PREACT_RESNET164, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(10_327_706, 10_476_922), macs=1_487_849_984, paper_params="10.2M (Table 4)",
          note="the paper's 10.2M leaves out BatchNorm's gamma and beta (10,178,490 without them)")
def preact_resnet1001(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                      **options: Any) -> CifarPreActResNet:
    """Pre-activation ResNet-1001 for CIFAR (Table 4): 111 bottleneck units per stage; 10,327,706 trainable."""
    return CifarPreActResNet(PREACT_RESNET1001, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(269_722, 271_098), macs=40_551_040, mini=True,
          note="ResNet-20 with full pre-activation basic units and option A shortcuts: put it beside resnet20")
def preact_resnet20(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), shortcut: str = "A",
                    **options: Any) -> CifarPreActResNet:
    """Pre-activation ResNet-20 (the mini): resnet20's widths and option A shortcuts, pre-activation units."""
    return CifarPreActResNet(PREACT_RESNET20, num_classes=num_classes, input_shape=input_shape, shortcut=shortcut,
                             **options)
