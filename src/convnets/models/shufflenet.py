"""ShuffleNet v2: Ma, Zhang, Zheng & Sun, "ShuffleNet V2: Practical Guidelines for
Efficient CNN Architecture Design", ECCV 2018 (https://arxiv.org/abs/1807.11164).

FLOPs are not speed (Sec. 2): memory access cost and parallelism matter too, which
gives four guidelines: equal channel widths minimise memory access (G1), group
convolutions cost memory access (G2), fragmented branches lose parallelism (G3),
element-wise operations are not free (G4). The unit that follows them (Fig. 3c, d):
*channel split* sends half the channels through untouched, the other half through
1x1 conv, 3x3 depthwise conv and 1x1 conv (no groups, equal widths), the halves are
concatenated (no addition) and a *channel shuffle* mixes them for the next unit. The
downsampling unit (Fig. 3d) has no split: both branches see the whole input, the
left one a stride-2 3x3 depthwise and a 1x1 conv, and the output doubles the channels.

Table 5, as data in ``STAGES`` (repeats) and ``WIDTHS`` (output channels per width):

    layer      output    kernel  stride  repeat   0.5x  1x   1.5x  2x
    image      224x224                            3     3    3     3
    conv1      112x112   3x3     2       1        24    24   24    24
    max pool   56x56     3x3     2
    stage2     28x28             2       1        48    116  176   244
                                 1       3
    stage3     14x14             2       1        96    232  352   488
                                 1       7
    stage4     7x7               2       1        192   464  704   976
                                 1       3
    conv5      7x7       1x1     1       1        1024  1024 1024  2048
    global pool, fc 1000

Every convolution is bias-free and followed by BatchNorm; ReLU after each 1x1 and
after conv1 and conv5, none after the depthwise convolutions (Fig. 3). Built as
torchvision builds it (``torchvision.models.shufflenet_v2_x*``), so its weights load
through ``convnets.from_torch``.

Exact counts, 1000 classes at 224x224 (trainable / total with BatchNorm statistics),
equal to torchvision's; MACs (convolutions and the classifier) equal torchvision's
``_ops`` figures:

    width  trainable   total       MACs        paper (Table 8 / megvii README)
    0.5x   1,366,792   1,374,744    40.48 M    1.4M, 41M FLOPs
    1.0x   2,278,604   2,294,784   144.91 M    2.3M, 146M
    1.5x   3,503,624   3,527,064   295.76 M    3.5M, 299M
    2.0x   7,393,996   7,427,712   583.25 M    7.4M, 591M

The paper's figures run 0.6-1.3% above these counts, and the cause is the layout, not
the counting (megvii counts the FLOPs "of all conv layers and fc layers", as we do):
megvii's released code (ShuffleNet-Series, ``ShuffleV2Block``: ``outputs = oup - inp``)
keeps the input's 24 channels on the left branch of stage 2's first (downsampling)
unit and gives the right branch the rest, where torchvision gives each half. Built that
way (``variant="megvii"``; every other unit is the same, since there in = out / 2):

    width  trainable   MACs
    1.0x   2,279,760   145.81 M   (paper 146M)
    1.5x   3,507,720   298.97 M   (paper 299M)
    2.0x   7,403,600   590.78 M   (paper 591M)

which rounds to the paper's figures. At 0.5x (24 in, 48 out) both layouts are the same
and 40.48 M stays 0.5 M below the README's 41M: that one is unexplained.

``shufflenet_v2_mini`` (``SHUFFLENET_V2_MINI``) keeps the split, the shuffle and the
downsampling units for 28x28 and 32x32 images: conv1 is 3x3 stride 2 with 24 filters and
the max pool goes (so the three stages run at 8x8, 4x4 and 2x2 on 32x32 inputs), the
stages are 0.5x's widths (48, 96, 192) with 2, 4 and 2 units, and conv5 has 512 filters:
183,514 parameters and 1.7 M MACs at 32x32x3. Sized for a 2-core CPU: with a stride-1
conv1 (6.7 M MACs) a training step ran at 395 img/s here (AVX2, no AVX-512), too slow for
seven Fashion-MNIST epochs in ten minutes; stride 2 runs at about 1,200.
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

FAMILY = Family("shufflenet", "ShuffleNet v2",
                Paper("Ma, Zhang, Zheng & Sun",
                      "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", 2018, "1807.11164"),
                full="shufflenet_v2_x1_0", mini="shufflenet_v2_mini",
                problem="FLOPs do not predict speed on a real device",
                idea="channel split and channel shuffle: equal widths, no groups, no additions")

STAGES = (4, 8, 4)  # Table 5: units per stage (one stride-2 unit, then stride 1)
# Table 5: stage2..4 and conv5 output channels per width multiplier.
WIDTHS = {0.5: (48, 96, 192, 1024), 1.0: (116, 232, 464, 1024), 1.5: (176, 352, 704, 1024),
          2.0: (244, 488, 976, 2048)}


@dataclass(frozen=True)
class ShuffleNetV2Config:
    """Table 5 as data: the stem, units per stage, and the widths."""

    widths: tuple[int, int, int, int]  # stage2, stage3, stage4, conv5 output channels
    repeats: tuple[int, ...] = STAGES
    stem_width: int = 24  # conv1's 24 filters
    stem_stride: int = 2  # conv1's stride 2 and the 3x3/2 max pool; 1 (and no pool) in the mini
    stem_pool: bool = True


SHUFFLENET_V2_MINI = ShuffleNetV2Config((48, 96, 192, 512), repeats=(2, 4, 2), stem_stride=2, stem_pool=False)


def channel_shuffle(x: tf.Tensor, groups: int = 2) -> tf.Tensor:
    """Sec. 3 / ShuffleNet v1 Fig. 1: reshape the channels to (groups, c/groups), transpose, flatten, so
    each group's channels are spread over all groups. Channel ``g * (c/groups) + k`` moves to ``k * groups + g``."""
    n, h, w, c = (tf.shape(x)[0], *x.shape[1:])
    x = tf.reshape(x, (n, h, w, groups, c // groups))
    x = tf.transpose(x, (0, 1, 2, 4, 3))
    return tf.reshape(x, (n, h, w, c))


class ShuffleUnit(Block):
    """Fig. 3c (stride 1: split, one branch, concatenate, shuffle) and Fig. 3d (stride 2: two branches)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, megvii: bool = False,
                 name: str | None = None):
        super().__init__(name=name)
        if out_channels % 2:
            raise ConfigError(f"{name}: ShuffleNet v2 units need an even width, got {out_channels}")
        half = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ConfigError(f"{name}: a stride-1 unit keeps its width ({in_channels} in, {out_channels} out)")
        self.stride = stride
        self.out_channels = out_channels
        kw: dict[str, Any] = dict(padding=1, w_init="he_normal")
        # Fig. 3d's left branch: 3x3 depthwise (stride 2), BN; 1x1 conv, BN, ReLU. Stride 1 has none (identity).
        # torchvision gives each branch half the output; megvii's released code keeps the input's width on
        # the left and gives the right the rest (``outputs = oup - inp``): the same unless in != out / 2.
        left_out = in_channels if megvii and stride > 1 else half
        if out_channels - left_out <= 0:
            raise ConfigError(f"{name}: a megvii downsampling unit needs more output ({out_channels}) than input "
                              f"({in_channels}) channels")
        self.left = [
            ConvBN(in_channels, in_channels, 3, stride, act=None, depthwise=True, name="left_dw", **kw),
            ConvBN(in_channels, left_out, 1, 1, padding="valid", name="left_pw"),
        ] if stride > 1 else []
        right_in = in_channels if stride > 1 else half
        self.right = [  # 1x1 conv, BN, ReLU; 3x3 depthwise, BN; 1x1 conv, BN, ReLU
            ConvBN(right_in, half, 1, 1, padding="valid", name="right_pw1"),
            ConvBN(half, half, 3, stride, act=None, depthwise=True, name="right_dw", **kw),
            ConvBN(half, out_channels - left_out, 1, 1, padding="valid", name="right_pw2"),
        ]

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if self.stride == 1:
            left, right = tf.split(x, 2, axis=-1)  # channel split: the left half passes untouched
        else:
            left = right = x
            for layer in self.left:
                left = layer(left, training=training)
        for layer in self.right:
            right = layer(right, training=training)
        return channel_shuffle(tf.concat([left, right], axis=-1), 2)

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = thread_shape(self.right[1:2], (*input_shape[:2], self.right[1].conv.channels))
        return (h, w, self.out_channels)


class ShuffleNetV2(Model):
    """Table 5: conv1, max pool, three stages of shuffle units, conv5, global average pool, fc."""

    def __init__(self, config: ShuffleNetV2Config, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, variant: str = "torchvision",
                 name: str = "shufflenet_v2"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if variant not in ("torchvision", "megvii"):
            raise ConfigError(f"{name}: variant must be 'torchvision' or 'megvii', got {variant!r}")
        *stage_widths, last = config.widths
        self.conv1 = ConvBN(input_shape[2], config.stem_width, 3, config.stem_stride, padding=1, name="conv1")
        self.pool1 = MaxPool2D(3, 2, padding=1, name="pool1") if config.stem_pool else None
        self.blocks: list[Layer] = []
        c = config.stem_width
        for stage, (width, repeat) in enumerate(zip(stage_widths, config.repeats), start=2):
            for i in range(repeat):
                self.blocks.append(ShuffleUnit(c, width, 2 if i == 0 else 1, megvii=variant == "megvii",
                                               name=f"stage{stage}_unit{i + 1}"))
                c = width
        self.conv5 = ConvBN(c, last, 1, 1, padding="valid", name="conv5")
        self.num_features = last
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(last, num_classes, name="fc") if include_top else None

    def _stem(self) -> list[Layer]:
        return [self.conv1] + ([self.pool1] if self.pool1 is not None else [])

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (*self._stem(), *self.blocks, self.conv5):
            x = layer(x, training=training)
        return x  # 7x7 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.pool(x))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self._stem(), *self.blocks, self.conv5), input_shape)


TORCHVISION = "torchvision"
_TOP1 = {0.5: 60.552, 1.0: 69.362, 1.5: 72.996, 2.0: 76.23}  # torchvision IMAGENET1K_V1 acc@1


def _builder(width: float, params: tuple[int, int], macs: int, paper: str, paper_macs: float) -> None:
    label = f"{width:g}".replace(".", "_")
    name = f"shufflenet_v2_x{label if '_' in label else label + '_0'}"

    def build(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ShuffleNetV2:
        return ShuffleNetV2(ShuffleNetV2Config(WIDTHS[width]), num_classes=num_classes, input_shape=input_shape,
                            name=name, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"ShuffleNet v2 {width:g}x (Table 5); {params[0]:,} params, as torchvision."
    register(FAMILY, params=params, macs=macs, references=[Reference(TORCHVISION, params[0])], paper_params=paper,
             paper_macs=(paper_macs, "megvii README (FLOPs)"), macs_tolerance=0.02,
             note="the paper's FLOPs are megvii's layout (variant='megvii'; the module docstring)",
             top1=(_TOP1[width], "torchvision IMAGENET1K_V1"))(build)
    globals()[name] = build


_builder(0.5, (1_366_792, 1_374_744), 40_476_448, "1.4M (megvii README)", 41e6)
_builder(1.0, (2_278_604, 2_294_784), 144_907_992, "2.3M (Table 8)", 146e6)
_builder(1.5, (3_503_624, 3_527_064), 295_759_392, "3.5M (megvii README)", 299e6)
_builder(2.0, (7_393_996, 7_427_712), 583_253_464, "7.4M (megvii README)", 591e6)


@register(FAMILY, params=(183_514, 187_850), macs=1_682_816, mini=True)
def shufflenet_v2_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> ShuffleNetV2:
    """ShuffleNet v2 mini: stride-2 stem without the pool, 0.5x stage widths with 2/4/2 units, conv5 512; 32x32."""
    return ShuffleNetV2(SHUFFLENET_V2_MINI, num_classes=num_classes, input_shape=input_shape,
                        name="shufflenet_v2_mini", **options)
