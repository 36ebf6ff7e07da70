"""MobileNet v3: Howard et al., "Searching for MobileNetV3", ICCV 2019
(https://arxiv.org/abs/1905.02244).

Platform-aware search (MnasNet's, Sec. 5.1) picks the blocks, NetAdapt (Sec. 5.2)
trims their widths, and hand design finishes the ends (Sec. 5.3): the last stage's
1x1 expansion moves after the average pool (7x7 maps become 1x1, cutting 7 ms), the
stem has 16 filters, and *hard-swish* ``x * relu6(x + 3) / 6`` replaces ReLU in the
deeper half, where it pays most. The block is v2's inverted residual with a
squeeze-and-excitation module after the depthwise convolution (Fig. 4), its gate a
*hard sigmoid* and its bottleneck a quarter of the expansion (Sec. 5.3).

Tables 1 (Large) and 2 (Small), as data in ``LARGE`` and ``SMALL``: kernel, expansion
size, output channels, SE, activation (RE: ReLU, HS: hard-swish), stride:

    Large (224x224)                             Small
    conv2d 3x3, 16, HS, /2                      conv2d 3x3, 16, HS, /2
    3x3   16  16  -  RE 1                       3x3   16  16 SE RE 2
    3x3   64  24  -  RE 2                       3x3   72  24  - RE 2
    3x3   72  24  -  RE 1                       3x3   88  24  - RE 1
    5x5   72  40 SE  RE 2                       5x5   96  40 SE HS 2
    5x5  120  40 SE  RE 1 (x2)                  5x5  240  40 SE HS 1 (x2)
    3x3  240  80  -  HS 2                       5x5  120  48 SE HS 1
    3x3  200  80  -  HS 1                       5x5  144  48 SE HS 1
    3x3  184  80  -  HS 1 (x2)                  5x5  288  96 SE HS 2
    3x3  480 112 SE  HS 1                       5x5  576  96 SE HS 1 (x2)
    3x3  672 112 SE  HS 1                       conv2d 1x1, 576, HS
    5x5  672 160 SE  HS 2                       pool, 1x1 conv 1024 (no BN), HS
    5x5  960 160 SE  HS 1 (x2)                  1x1 conv k
    conv2d 1x1, 960, HS
    pool, 1x1 conv 1280 (no BN), HS, 1x1 conv k

Built as Keras Applications' ``MobileNetV3Large``/``Small`` builds it (the released
TF-slim model), so Keras's weights port through ``convnets.from_keras``: expansions as
ratios of the input width, rounded to a multiple of 8 after ``alpha`` (``_depth``);
BatchNorm epsilon 1e-3; the two head layers are 1x1 convolutions on the pooled
vector (Dense layers here, the same parameters), dropout 0.2 before the last. Keras
puts its input scaling inside the model (``Rescaling(1/127.5, offset=-1)``: pixels
0..255 to -1..1): ``include_preprocessing=True`` adds it here too (off by default,
since our data pipeline normalises). Keras pads a stride-2 depthwise layer with
``correct_pad`` (one pixel less at the top/left on even maps), which is TensorFlow's
"same" on every size; ``variant="torchvision"`` pads (k - 1) // 2 on every side, as
torchvision's ``mobilenet_v3_large``/``small`` do (their weights load through
``convnets.from_torch``). ``minimalistic=True`` (Keras's option, Sec. 6.1.1 of the
paper's "minimalistic" models): no SE, no hard-swish, 3x3 kernels only.

Exact counts, 1000 classes at 224x224 (trainable / total), equal to Keras; torchvision's
and timm's trainable counts are the same:

    mobilenet_v3_small   2,542,856 / 2,554,968   56.5 M MACs   paper: 2.5M, 56M (Table 3)
    mobilenet_v3_large   5,483,032 / 5,507,432  216.6 M MACs   paper: 5.4M, 219M (Table 3)

(The table in Keras's docstring, 2.9M / 66M for Small, is the first arXiv version's.)

``mobilenet_v3_mini`` keeps Small's blocks, SE and hard-swish for 28x28 and 32x32
images: the stem keeps its stride 2 and the first block goes to stride 1, so 32x32 ends
at 2x2; ``alpha`` 0.75 and a 512-unit head: 800,306 parameters, 3.6 M MACs. Sized for a
2-core CPU: with a stride-1 stem (12.8 M MACs) a training step ran at 166 img/s here
(AVX2, no AVX-512; depthwise convolutions and hard-swish are memory-bound), too slow for
five Fashion-MNIST epochs in ten minutes; stride 2 runs at about 620.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, Dropout, GlobalAvgPool, Rescaling, SqueezeExcite, thread_shape
from convnets.layers.activations import get as activation
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.mobilenet import make_divisible
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("mobilenet_v3", "MobileNet v3",
                Paper("Howard et al.", "Searching for MobileNetV3", 2019, "1905.02244"),
                full="mobilenet_v3_large", mini="mobilenet_v3_mini",
                problem="hand-designed blocks leave speed on the table on a phone",
                idea="search the blocks, then hard-swish, squeeze-and-excite and a cheaper head")


class Bneck(NamedTuple):
    """A row of Table 1/2: kernel, expansion size, output channels, SE, activation, stride."""

    k: int
    exp: int
    out: int
    se: bool
    act: str  # "RE" or "HS"
    s: int


_R, _H = "RE", "HS"
# Table 1: MobileNetV3-Large.
LARGE = (Bneck(3, 16, 16, False, _R, 1), Bneck(3, 64, 24, False, _R, 2), Bneck(3, 72, 24, False, _R, 1),
         Bneck(5, 72, 40, True, _R, 2), Bneck(5, 120, 40, True, _R, 1), Bneck(5, 120, 40, True, _R, 1),
         Bneck(3, 240, 80, False, _H, 2), Bneck(3, 200, 80, False, _H, 1), Bneck(3, 184, 80, False, _H, 1),
         Bneck(3, 184, 80, False, _H, 1), Bneck(3, 480, 112, True, _H, 1), Bneck(3, 672, 112, True, _H, 1),
         Bneck(5, 672, 160, True, _H, 2), Bneck(5, 960, 160, True, _H, 1), Bneck(5, 960, 160, True, _H, 1))
# Table 2: MobileNetV3-Small.
SMALL = (Bneck(3, 16, 16, True, _R, 2), Bneck(3, 72, 24, False, _R, 2), Bneck(3, 88, 24, False, _R, 1),
         Bneck(5, 96, 40, True, _H, 2), Bneck(5, 240, 40, True, _H, 1), Bneck(5, 240, 40, True, _H, 1),
         Bneck(5, 120, 48, True, _H, 1), Bneck(5, 144, 48, True, _H, 1), Bneck(5, 288, 96, True, _H, 2),
         Bneck(5, 576, 96, True, _H, 1), Bneck(5, 576, 96, True, _H, 1))


@dataclass(frozen=True)
class MobileNetV3Config:
    """Table 1 or 2 as data, with the ends of the network."""

    blocks: tuple[Bneck, ...]
    head: int  # the last 1x1 conv after the pool: 1280 (Large), 1024 (Small)
    stem_stride: int = 2  # 1 in the mini
    first_stride: int | None = None  # overrides the first block's stride (the mini: 1)


MOBILENET_V3_LARGE = MobileNetV3Config(LARGE, 1280)
MOBILENET_V3_SMALL = MobileNetV3Config(SMALL, 1024)
MOBILENET_V3_MINI = MobileNetV3Config(SMALL, 512, stem_stride=2, first_stride=1)


class InvertedResidualV3(Block):
    """Fig. 4: expand 1x1, depthwise kxk, squeeze-and-excite (hard-sigmoid gate), project 1x1; + input when
    the shapes match. Keras names (``expand``, ``depthwise``, ``squeeze_excite``, ``project``)."""

    def __init__(self, cin: int, hidden: int, cout: int, k: int, stride: int, se: bool, act: str, pad: str,
                 block_id: int, bn: dict):
        super().__init__(name=f"block_{block_id}")
        padding: str | int = "same" if pad == "same" else (k - 1) // 2
        # Keras builds no expansion for the first block (its expansion is 1 in both tables).
        self.expand = ConvBN(cin, hidden, 1, 1, "valid", act=act, name="expand", **bn) if block_id else None
        width = hidden if block_id else cin
        self.depthwise = ConvBN(width, width, k, stride, padding, act=act, depthwise=True, name="depthwise", **bn)
        self.se = (SqueezeExcite(width, hidden=make_divisible(width * 0.25), gate="hard_sigmoid",
                                 name="squeeze_excite") if se else None)
        self.project = ConvBN(width, cout, 1, 1, "valid", act=None, name="project", **bn)
        self.residual = stride == 1 and cin == cout
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = x if self.expand is None else self.expand(x, training=training)
        y = self.depthwise(y, training=training)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y, training=training)
        return x + y if self.residual else y

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = self.depthwise.output_shape((*input_shape[:2], self.depthwise.conv.channels))
        return (h, w, self.out_channels)


class MobileNetV3(Model):
    """The stem, the table's blocks, a 1x1 conv to 6x the last width, then pool, a 1x1 "conv" (Dense) with
    hard-swish, dropout and the classifier.

    Options: ``alpha`` (width multiplier; widths rounded to multiples of 8), ``minimalistic`` (no SE,
    ReLU, 3x3 kernels), ``dropout`` (0.2), ``include_preprocessing`` (Keras's -1..1 rescaling of 0..255
    pixels inside the model), ``variant`` ("keras" or "torchvision": the padding).
    """

    def __init__(self, config: MobileNetV3Config, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, alpha: float = 1.0, minimalistic: bool = False,
                 dropout: float = 0.2, include_preprocessing: bool = False, variant: str = "keras",
                 name: str = "mobilenet_v3"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if alpha <= 0:
            raise ConfigError(f"alpha must be > 0, got {alpha}")
        if variant not in ("keras", "torchvision"):
            raise ConfigError(f"{name}: variant must be 'keras' or 'torchvision', got {variant!r}")
        if variant == "torchvision" and (minimalistic or alpha != 1.0):
            raise ConfigError(f"{name}: torchvision's MobileNet v3 has neither alpha nor minimalistic forms")
        bn = dict(bn_epsilon=1e-3, w_init="he_normal")  # Keras's and torchvision's epsilon
        act = "relu" if minimalistic else "hard_swish"
        acts = {_R: "relu", _H: act}
        pad = "same" if variant == "keras" else "symmetric"
        self.rescale = Rescaling(1 / 127.5, -1.0, name="rescaling") if include_preprocessing else None
        self.conv1 = ConvBN(input_shape[2], 16, 3, config.stem_stride, "same" if pad == "same" else 1, act=act,
                            name="conv", **bn)
        self.blocks: list[Layer] = []
        c, c_paper = 16, 16
        for i, row in enumerate(config.blocks):
            out = make_divisible(row.out * alpha)
            hidden = make_divisible(c * (row.exp / c_paper))  # Keras: _depth(in_channels * expansion ratio)
            stride = config.first_stride if i == 0 and config.first_stride is not None else row.s
            k = 3 if minimalistic else row.k
            self.blocks.append(InvertedResidualV3(c, hidden, out, k, stride, row.se and not minimalistic,
                                                  acts[row.act], pad, i, bn))
            c, c_paper = out, row.out
        last_conv = make_divisible(c * 6)  # Large: 960, Small: 576
        head = make_divisible(config.head * alpha) if alpha > 1.0 else config.head
        self.conv_last = ConvBN(c, last_conv, 1, 1, "valid", act=act, name="conv_1", **bn)
        self.num_features = last_conv
        self.pool = GlobalAvgPool(name="avg_pool")
        self.act = activation(act)
        self.head = Dense(last_conv, head, name="conv_2") if include_top else None  # Sec. 5.3: after the pool
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(head, num_classes, name="logits") if include_top else None

    def _front(self) -> list[Layer]:
        return ([self.rescale] if self.rescale is not None else []) + [self.conv1]

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (*self._front(), *self.blocks, self.conv_last):
            x = layer(x, training=training)
        return x  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.act(self.head(self.pool(x)))
        return self.fc(self.drop(x, training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self._front(), *self.blocks, self.conv_last), input_shape)


KERAS = "Keras Applications"


@register(FAMILY, params=(2_542_856, 2_554_968), macs=56_510_400,
          references=[Reference(KERAS, 2_542_856, 2_554_968), Reference("torchvision", 2_542_856),
                      Reference("timm", 2_542_856)],
          paper_params="2.5M (Table 3)", paper_macs=(56e6, "Table 3"),
          top1=(67.4, "paper Table 3"))
def mobilenet_v3_small(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MobileNetV3:
    """MobileNetV3-Small (Table 2); 2,542,856 params, as Keras, torchvision and timm."""
    return MobileNetV3(MOBILENET_V3_SMALL, num_classes=num_classes, input_shape=input_shape,
                       name="mobilenet_v3_small", **options)


@register(FAMILY, params=(5_483_032, 5_507_432), macs=216_589_760,
          references=[Reference(KERAS, 5_483_032, 5_507_432), Reference("torchvision", 5_483_032),
                      Reference("timm", 5_483_032)],
          paper_params="5.4M (Table 3)", paper_macs=(219e6, "Table 3"),
          top1=(75.2, "paper Table 3"))
def mobilenet_v3_large(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> MobileNetV3:
    """MobileNetV3-Large (Table 1); 5,483,032 params, as Keras, torchvision and timm."""
    return MobileNetV3(MOBILENET_V3_LARGE, num_classes=num_classes, input_shape=input_shape,
                       name="mobilenet_v3_large", **options)


@register(FAMILY, params=(800_306, 809_986), macs=3_573_184, mini=True)
def mobilenet_v3_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), alpha: float = 0.75,
                      **options: Any) -> MobileNetV3:
    """MobileNet v3 mini: Small's blocks with stride 1 in the first block, alpha 0.75, a 512 head."""
    return MobileNetV3(MOBILENET_V3_MINI, num_classes=num_classes, input_shape=input_shape, alpha=alpha,
                       name="mobilenet_v3_mini", **options)
