"""MnasNet: Tan, Chen, Pang, Vasudevan, Sandler, Howard & Le, "MnasNet: Platform-Aware
Neural Architecture Search for Mobile", CVPR 2019 (https://arxiv.org/abs/1807.11626).

The search's reward is accuracy *and measured latency on a phone* (Sec. 3: ACC(m) x
(LAT(m) / T)^w, w = -0.07, a soft target T of 75 ms on a Pixel 1), not FLOPs, which
predict latency poorly. Its space is *factorized hierarchical* (Sec. 4.1, Fig. 4):
the network is split into seven blocks, and the search picks each block's own
operator (conv, depthwise conv or MBConv with expansion 3 or 6), kernel (3x3 or 5x5),
squeeze-and-excitation ratio (0 or 0.25), skip, output width and number of layers,
so different stages may differ (earlier searches repeat one cell everywhere).

MnasNet-A1, the searched model (Fig. 7), as data in ``A1``: the layer, repeats,
output channels (SE: squeeze-and-excitation, a quarter of the block input's width):

    stage  input     operator                 repeats  channels
    stem   224x224   conv 3x3, stride 2       1        32
    1      112x112   SepConv 3x3              1        16
    2      112x112   MBConv6 3x3, stride 2    2        24
    3      56x56     MBConv3 5x5, SE, /2      3        40
    4      28x28     MBConv6 3x3, /2          4        80
    5      14x14     MBConv6 3x3, SE          2        112
    6      14x14     MBConv6 5x5, SE, /2      3        160
    7      7x7       MBConv6 3x3              1        320
    head   7x7       conv 1x1 1280, pool, fc

(SepConv: 3x3 depthwise, BN, ReLU, 1x1 conv, BN; MBConvN: 1x1 expansion by N, BN,
ReLU, kxk depthwise, BN, ReLU, [SE,] 1x1 projection, BN, and the input added when the
shapes match.) Built as timm's ``semnasnet_100`` (the TF reference's ``mnasnet-a1``):
3,887,038 parameters, 311.6 M MACs (paper: 3.9M, 312M multiply-adds, 75.2% top-1;
tensorflow/tpu's README: 315.2M).

MnasNet-B1, the searched model without SE (the arXiv paper's first MnasNet, ``B1``),
is torchvision's ``mnasnet0_5`` .. ``mnasnet1_3`` (width multipliers 0.5 to 1.3:
every width but the 1280-wide head times alpha, to a multiple of 8 never 10% below;
the stem and the SepConv scale too, torchvision's "version 2"), built as
torchvision builds it so its weights load through ``convnets.from_torch``:

    stage  operator                 repeats  channels (1.0)
    stem   conv 3x3, stride 2       1        32
    1      SepConv 3x3              1        16
    2      MBConv3 3x3, /2          3        24
    3      MBConv3 5x5, /2          3        40
    4      MBConv6 5x5, /2          3        80
    5      MBConv6 3x3              2        96
    6      MBConv6 5x5, /2          4        192
    7      MBConv6 3x3              1        320
    head   conv 1x1 1280, pool, dropout 0.2, fc

Exact counts, 1000 classes at 224x224 (trainable / total with BatchNorm statistics);
the trainable counts equal torchvision's (B1) and timm's (``mnasnet_050`` ..
``mnasnet_100``; ``semnasnet_100``):

    model        trainable   total       MACs          top-1 (torchvision's training)
    mnasnet0_5   2,218,512   2,239,136   104,455,968   67.734
    mnasnet0_75  3,170,208   3,200,016   215,493,104   71.180
    mnasnet1_0   4,383,312   4,421,232   314,415,872   73.456
    mnasnet1_3   6,282,256   6,331,072   526,362,432   76.506
    mnasnet_a1   3,887,038   3,920,526   311,579,072   75.2 (paper)

Both use BatchNorm epsilon 1e-5 and symmetric (k - 1) / 2 padding, as torchvision and
timm do (the TF reference: 1e-3 and "same" padding); the momentum stays ours, 0.9
(torchvision trains with 0.9997 in Keras's convention; inference does not depend on it).

``mnasnet_mini`` keeps A1's seven searched stages (SepConv, MBConv3/6, 3x3 and 5x5
kernels, SE in stages 3, 5 and 6) for 28x28 and 32x32 images: half of A1's widths
(alpha 0.5: 8 to 160 channels), one layer in each stage but two in stages 3 and 4
(which keeps two of the identity skips), the stem's stride 2 and stride 1 in stages 2 and
6, so its two stride-2 stages take 32x32 (and 28x28) to 4x4, and a 384-wide head instead
of 1280: 330,988 parameters, 6.1 M MACs at 32x32. Scaled so for a few minutes of CPU
training: A1's repeats at half width would be 468k parameters, and with a stride-1 stem
(14.1 M MACs) a training step ran at 140 img/s on a 2-core CPU (AVX2, no AVX-512), stride 2
at about 660. Stage 6 downsampled too at first, ending at 2x2: on Fashion-MNIST that
mini reached 89.73% after 10 epochs at AdamW's 4e-3, the 4x4 one 90.51%, and 91.80% at
8e-3 (seed 0; docs/results.md), for ~17% more time a step (1,250 against 1,520 img/s
on a 2-core Xeon).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, Dropout, GlobalAvgPool, SqueezeExcite, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.mobilenet import make_divisible
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("mnasnet", "MnasNet",
                Paper("Tan, Chen, Pang, Vasudevan, Sandler, Howard & Le",
                      "MnasNet: Platform-Aware Neural Architecture Search for Mobile", 2018, "1807.11626"),
                full="mnasnet_a1", mini="mnasnet_mini",
                problem="FLOPs are a poor proxy for a network's speed on a phone",
                idea="search with measured latency in the reward, each stage its own block")


class Stage(NamedTuple):
    """A row of Fig. 7: operator ("sep": SepConv, "mb": MBConv), kernel, repeats, expansion, output channels,
    stride of the first layer, squeeze-and-excitation."""

    op: str
    k: int
    repeats: int
    expand: int
    out: int
    stride: int
    se: bool = False


# Fig. 7 (MnasNet-A1), as timm's semnasnet_100 / the TF reference's mnasnet-a1 writes it.
A1 = (Stage("sep", 3, 1, 1, 16, 1), Stage("mb", 3, 2, 6, 24, 2), Stage("mb", 5, 3, 3, 40, 2, True),
      Stage("mb", 3, 4, 6, 80, 2), Stage("mb", 3, 2, 6, 112, 1, True), Stage("mb", 5, 3, 6, 160, 2, True),
      Stage("mb", 3, 1, 6, 320, 1))
# MnasNet-B1 (no SE), torchvision's MNASNet.
B1 = (Stage("sep", 3, 1, 1, 16, 1), Stage("mb", 3, 3, 3, 24, 2), Stage("mb", 5, 3, 3, 40, 2),
      Stage("mb", 5, 3, 6, 80, 2), Stage("mb", 3, 2, 6, 96, 1), Stage("mb", 5, 4, 6, 192, 2),
      Stage("mb", 3, 1, 6, 320, 1))
OPS = ("sep", "mb")


@dataclass(frozen=True)
class MnasNetConfig:
    """Fig. 7's stages, a width multiplier and the ends of the network."""

    stages: tuple[Stage, ...]
    alpha: float = 1.0  # width multiplier: every width but the head's, to a multiple of 8 (never 10% below)
    stem: int = 32
    head: int = 1280  # the last 1x1 conv; not scaled by alpha (torchvision)
    stem_stride: int = 2  # 1 in the mini
    repeats: tuple[int, ...] | None = None  # overrides the stages' repeats (the mini)
    strides: tuple[int, ...] | None = None  # overrides the stages' strides (the mini)

    def width(self, c: int) -> int:
        """torchvision's ``_round_to_multiple_of(c * alpha, 8)`` (= timm's ``round_channels``)."""
        return make_divisible(c * self.alpha, 8)


MNASNET_MINI = MnasNetConfig(A1, alpha=0.5, head=384, stem_stride=2, repeats=(1, 1, 2, 2, 1, 1, 1),
                             strides=(1, 1, 2, 2, 1, 1, 1))


class SepConv(Block):
    """Fig. 7's SepConv: 3x3 depthwise, BN, ReLU, then a 1x1 conv and BN (linear); no skip."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, bn: dict, name: str):
        super().__init__(name=name)
        self.dw = ConvBN(cin, cin, k, stride, (k - 1) // 2, depthwise=True, name="dw", **bn)
        self.pw = ConvBN(cin, cout, 1, 1, "valid", act=None, name="pw", **bn)
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.pw(self.dw(x, training=training), training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.pw.output_shape(self.dw.output_shape(input_shape))


class MBConv(Block):
    """Fig. 7's MBConv: 1x1 expansion, BN, ReLU; kxk depthwise, BN, ReLU; squeeze-and-excite (a quarter of the
    input width, ReLU, sigmoid gate); 1x1 projection, BN; + the input when the shapes match."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int, se: bool, bn: dict, name: str):
        super().__init__(name=name)
        hidden = cin * expand
        self.expand = ConvBN(cin, hidden, 1, 1, "valid", name="expand", **bn)
        self.dw = ConvBN(hidden, hidden, k, stride, (k - 1) // 2, depthwise=True, name="dw", **bn)
        # timm: round(hidden * 0.25 / expand) hidden units, i.e. a quarter of the block input
        self.se = SqueezeExcite(hidden, hidden=max(1, round(cin * 0.25)), name="se") if se else None
        self.project = ConvBN(hidden, cout, 1, 1, "valid", act=None, name="project", **bn)
        self.residual = stride == 1 and cin == cout
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.dw(self.expand(x, training=training), training=training)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y, training=training)
        return x + y if self.residual else y

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.expand, self.dw, self.project), input_shape)


class MnasNet(Model):
    """The stem, Fig. 7's seven stages, a 1x1 conv to 1280, average pool, dropout and fc.

    Options: ``dropout`` before the classifier (0.2, torchvision's and timm's).
    """

    def __init__(self, config: MnasNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.2,
                 name: str = "mnasnet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"{name}: dropout must be in [0, 1), got {dropout}")
        if config.alpha <= 0:
            raise ConfigError(f"{name}: alpha must be > 0, got {config.alpha}")
        bad = [s.op for s in config.stages if s.op not in OPS]
        if bad:
            raise ConfigError(f"{name}: stage operators must be 'sep' or 'mb', got {bad[0]!r}")
        bn = dict(bn_epsilon=1e-5, w_init="he_normal")  # torchvision's and timm's epsilon
        c = config.width(config.stem)
        self.stem = ConvBN(input_shape[2], c, 3, config.stem_stride, 1, name="stem", **bn)
        repeats = config.repeats or tuple(s.repeats for s in config.stages)
        strides = config.strides or tuple(s.stride for s in config.stages)
        self.blocks: list[Layer] = []
        for i, (s, n, stride) in enumerate(zip(config.stages, repeats, strides), start=1):
            out = config.width(s.out)
            for j in range(n):
                name_ij = f"stage{i}_{j + 1}"
                st = stride if j == 0 else 1
                block = (SepConv(c, out, s.k, st, bn, name=name_ij) if s.op == "sep"
                         else MBConv(c, out, s.k, st, s.expand, s.se, bn, name=name_ij))
                self.blocks.append(block)
                c = out
        self.head = ConvBN(c, config.head, 1, 1, "valid", name="head", **bn)
        self.num_features = config.head
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(config.head, num_classes, name="fc") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (self.stem, *self.blocks, self.head):
            x = layer(x, training=training)
        return x  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.stem, *self.blocks, self.head), input_shape)


TORCHVISION, TIMM = "torchvision", "timm"
# alpha: (trainable, total, MACs, torchvision IMAGENET1K_V1 acc@1, timm's name)
_B1 = {0.5: (2_218_512, 2_239_136, 104_455_968, 67.734, "mnasnet_050"),
       0.75: (3_170_208, 3_200_016, 215_493_104, 71.18, "mnasnet_075"),
       1.0: (4_383_312, 4_421_232, 314_415_872, 73.456, "mnasnet_100"),
       1.3: (6_282_256, 6_331_072, 526_362_432, 76.506, None)}


def _builder(alpha: float) -> None:
    trainable, total, macs, top1, timm_name = _B1[alpha]
    name = "mnasnet" + f"{alpha:g}".replace(".", "_")
    name = name if "_" in name else name + "_0"

    def build(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MnasNet:
        return MnasNet(MnasNetConfig(B1, alpha), num_classes=num_classes, input_shape=input_shape, name=name,
                       **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"MnasNet-B1 (no SE) at width {alpha:g}, torchvision's {name}; {trainable:,} params."
    refs = [Reference(TORCHVISION, trainable)] + ([Reference(f"{TIMM} {timm_name}", trainable)] if timm_name else [])
    register(FAMILY, name=name, params=(trainable, total), macs=macs, references=refs,
             paper_params="B1 not given in the paper", note="torchvision's B1: the searched model without SE",
             top1=(top1, "torchvision IMAGENET1K_V1 (its own training)"))(build)
    globals()[name] = build


for _alpha in _B1:
    _builder(_alpha)


@register(FAMILY, params=(3_887_038, 3_920_526), macs=311_579_072,
          references=[Reference(f"{TIMM} semnasnet_100", 3_887_038)],
          paper_params="3.9M (Sec. 6.1)", paper_macs=(312e6, "Sec. 6.1, Table 1"),
          top1=(75.2, "paper Table 1"))
def mnasnet_a1(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MnasNet:
    """MnasNet-A1 (Fig. 7, with SE), timm's semnasnet_100; 3,887,038 params."""
    return MnasNet(MnasNetConfig(A1), num_classes=num_classes, input_shape=input_shape, name="mnasnet_a1",
                   **options)


@register(FAMILY, params=(330_988, 339_148), macs=6_128_480, mini=True)
def mnasnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> MnasNet:
    """MnasNet mini: A1's seven stages at half width, 1-2 layers each, stride-2 stem, stride 1 in stages 2 and 6,
    a 384 head; 32x32 ends at 4x4."""
    return MnasNet(MNASNET_MINI, num_classes=num_classes, input_shape=input_shape, name="mnasnet_mini", **options)
