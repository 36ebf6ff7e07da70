"""Inception-ResNet-v2: Szegedy, Ioffe, Vanhoucke & Alemi, "Inception-v4,
Inception-ResNet and the Impact of Residual Connections on Learning", AAAI 2017
(https://arxiv.org/abs/1602.07261).

The paper's idea: give Inception modules ResNet's shortcuts. Each residual
Inception block runs its branches, concatenates them, projects back to the input's
width with a linear 1x1 convolution (no BatchNorm, a bias; the "up" projection) and
adds that to the input, scaled down first: "scaling down the residuals before
adding them ... seemed to stabilize the training" (Sec. 3.3, Fig. 20; factors
"between 0.1 and 0.3"). Residuals were 1 (no scaling) in ResNet.

Keras Applications' ``InceptionResNetV2`` copies the TF-slim model, not the paper's
Fig. 15 schema (tensorflow/models#1553: the maintainers answered that the
implementation "was done under the advise of the authors"). It is built here as the
default, so Keras's weights port (``convnets.from_keras``). As data (``KERAS_LAYOUT``),
at 299x299:

    layer            output       branches (widths; 1x1 unless marked)
    stem             35x35x192    Inception-v3's: 3x3/2 32, 3x3 32, 3x3 64, max pool, 1x1 80, 3x3 192, max pool
    mixed_5b         35x35x320    96 | 48, 5x5 64 | 64, 3x3 96, 3x3 96 | avg pool, 64
    block35 x 10     35x35x320    Fig. 16: 32 | 32, 3x3 32 | 32, 3x3 48, 3x3 64; up 1x1 320; scale 0.17
    mixed_6a         17x17x1088   Fig. 7 (k, l, m, n = 256, 256, 384, 384): 3x3/2 384 | 256, 3x3 256,
                                  3x3/2 384 | max pool 3x3/2
    block17 x 20     17x17x1088   Fig. 17: 192 | 128, 1x7 160, 7x1 192; up 1088; scale 0.1
    mixed_7a         8x8x2080     Fig. 18: 256, 3x3/2 384 | 256, 3x3/2 288 | 256, 3x3 288, 3x3/2 320 | max pool
    block8 x 10      8x8x2080     Fig. 19: 192 | 192, 1x3 224, 3x1 256; up 2080; scale 0.2
                                  (the tenth: scale 1, no ReLU after the addition)
    conv_7b          8x8x1536     1x1
    avg pool, linear 1000

Every convolution but the "up" projections is bias-free with BatchNorm (no gamma,
epsilon 1e-3) and ReLU; the blocks end in a ReLU after the addition.

Exact counts, 1000 classes at 299x299 (trainable / total with BatchNorm statistics):
55,813,192 / 55,873,736, equal to Keras Applications (timm's 55,843,464 adds
BatchNorm's gamma, 30,272: ``bn_scale=True``); 13,155,794,016 MACs (13.156 G, also
timm's). The paper gives no parameter count or FLOPs; single-crop error 19.9% top-1,
4.9% top-5 (as quoted by He et al. 2016 and SENet's Table 2).

Where the paper (Fig. 15, with Figs. 3, 7, 16-19) differs from this layout:
- Stem: the paper's is Inception-v4's (Fig. 3): 3x3/2 32, 3x3 32, 3x3 64, then three
  concatenations (max pool 3x3/2 | 3x3/2 96; 1x1 64, 3x3 96 | 1x1 64, 7x1 64, 1x7 64,
  3x3 96; 3x3/2 192 | max pool) to 35x35x384. Keras has Inception-v3's stem and the
  Inception-v3-like mixed_5b, 35x35x320.
- Repeats: the paper has 5 x A (block35), 10 x B (block17), 5 x C (block8); Keras 10,
  20 and 10, twice as many.
- The end: the paper goes from the last C block (2144 maps) to average pooling and
  dropout (keep 0.8); Keras has the tenth block8 without its ReLU and with scale 1,
  then conv_7b (1x1 to 1536), and no dropout.
- Widths: Figs. 17 and 19 label the "up" projections 1154 and 2048, which cannot be
  added to their 1152- and 2144-map inputs; Keras's, like every residual block's,
  return to the input's width (320, 1088, 2080 in its layout).
- Scaling factors: the paper gives a range, "between 0.1 and 0.3"; 0.17, 0.1 and 0.2
  are TF-slim's, which Keras keeps.

``layout="paper"`` builds Fig. 15 with those choices made as above (the Fig. 3 stem,
5/10/5 blocks, up projections to the input's width, every block with its ReLU and
Keras's scales, no conv_7b; ``dropout=0.2`` gives the paper's keep 0.8): 32,417,496
trainable parameters (32,450,360 total) and 9.258 G MACs at 299x299, ending in an
8x8x2144 map. No implementation we know builds it, so there is no count to check it
against.

Deviations (in the default layout) from Keras: none in what it computes; the
initialisation is Keras's Glorot-uniform.

``include_top=False`` returns conv_7b's map (8x8x1536 at 299x299), as Keras does.

``inception_resnet_v2_mini`` (``INCEPTION_RESNET_V2_MINI``) is for 32x32 images and
Fashion-MNIST's 28x28x1, designed to reach 91% on Fashion-MNIST within 10 minutes of
2-core CPU training; measured: 92.58% after the 5-epoch fast recipe, 552 s of training
(seed 0; docs/results.md). How: a stride-1 stem of one 3x3 conv
(32 filters) and the max pool (28 -> 13); mixed_5b (72 maps), the two reductions
(to 6x6x168 and 2x2x304) and conv_7b (256) at a sixth to a fifth of the widths; one
block of each residual kind instead of 10/20/10 (at 13x13, 6x6 and 2x2), with
block17's 1x7/7x1 pair as 1x3/3x1 (on a 6x6 map); the scales, the linear up
projections and the last block's missing ReLU as in Keras. 302,514 trainable
parameters and 9.3 M MACs at 28x28x1 (303,090 and 13.7 M at 32x32x3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import AvgPool2D, Conv2D, Dense, Dropout, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.inception_v3 import STEM, StemConv, Unit, build_stem, conv_unit
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("inception_resnet_v2", "Inception-ResNet-v2",
                Paper("Szegedy, Ioffe, Vanhoucke & Alemi",
                      "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", 2016,
                      "1602.07261"),
                full="inception_resnet_v2", mini="inception_resnet_v2_mini",
                problem="can inception modules use shortcuts too?",
                idea="residual inception blocks with scaled residuals")


class Conv(NamedTuple):
    """One convolution of a branch (with BatchNorm and ReLU): the figures' "3x3 Conv (256 stride 2 V)"."""

    filters: int
    kernel: int | tuple[int, int] = 1
    stride: int = 1
    padding: str = "same"


@dataclass(frozen=True)
class MixedSpec:
    """A module of parallel branches, concatenated: each branch a row of convolutions, and a pooling branch."""

    branches: tuple[tuple[Conv, ...], ...]
    pool: str | None = None  # "max": a 3x3/2 max pool (valid; the reductions), "avg": 3x3/1 average pool ...
    pool_proj: int = 0  # ... followed by a 1x1 convolution of this width (mixed_5b)


@dataclass(frozen=True)
class ResidualSpec:
    """A residual Inception block (Figs. 16, 17, 19) and how many follow each other."""

    name: str  # Keras's: block35, block17, block8 (the grid each runs on at 299x299)
    branches: tuple[tuple[Conv, ...], ...]
    repeats: int
    scale: float  # the residual is scaled by this before the addition (Sec. 3.3)


@dataclass(frozen=True)
class InceptionResNetV2Config:
    """The network as stages: a stem, then modules and runs of residual blocks in order."""

    stem: tuple[StemConv | str, ...]  # plain convolutions, and the names of 3x3/2 max pools
    stages: tuple[tuple[str, MixedSpec] | ResidualSpec, ...]  # named modules and residual runs
    conv_7b: int | None = 1536  # the final 1x1 convolution (Keras, TF-slim); None: none (the paper)
    last_linear: bool = True  # the last residual block with scale 1 and no ReLU (Keras, TF-slim)


V = "valid"
BLOCK35 = ((Conv(32),), (Conv(32), Conv(32, 3)), (Conv(32), Conv(48, 3), Conv(64, 3)))  # Fig. 16
BLOCK17 = ((Conv(192),), (Conv(128), Conv(160, (1, 7)), Conv(192, (7, 1))))  # Fig. 17
BLOCK8 = ((Conv(192),), (Conv(192), Conv(224, (1, 3)), Conv(256, (3, 1))))  # Fig. 19
REDUCTION_A = MixedSpec(((Conv(384, 3, 2, V),), (Conv(256), Conv(256, 3), Conv(384, 3, 2, V))), pool="max")  # Fig. 7
REDUCTION_B = MixedSpec(((Conv(256), Conv(384, 3, 2, V)), (Conv(256), Conv(288, 3, 2, V)),
                         (Conv(256), Conv(288, 3), Conv(320, 3, 2, V))), pool="max")  # Fig. 18

KERAS_LAYOUT = InceptionResNetV2Config(
    stem=STEM,  # Inception-v3's stem: 35x35x192
    stages=(
        ("mixed_5b", MixedSpec(((Conv(96),), (Conv(48), Conv(64, 5)), (Conv(64), Conv(96, 3), Conv(96, 3))),
                               pool="avg", pool_proj=64)),  # 35x35x320
        ResidualSpec("block35", BLOCK35, 10, 0.17),
        ("mixed_6a", REDUCTION_A),  # 17x17x1088
        ResidualSpec("block17", BLOCK17, 20, 0.1),
        ("mixed_7a", REDUCTION_B),  # 8x8x2080
        ResidualSpec("block8", BLOCK8, 10, 0.2),
    ),
)

PAPER_LAYOUT = InceptionResNetV2Config(
    stem=(StemConv("Conv2d_1a_3x3", 32, 3, 2, V), StemConv("Conv2d_2a_3x3", 32, 3, 1, V),
          StemConv("Conv2d_2b_3x3", 64, 3, 1, "same")),  # Fig. 3: 147x147x64
    stages=(
        ("stem_mixed_1", MixedSpec(((Conv(96, 3, 2, V),),), pool="max")),  # 73x73x160
        ("stem_mixed_2", MixedSpec(((Conv(64), Conv(96, 3, 1, V)),
                                    (Conv(64), Conv(64, (7, 1)), Conv(64, (1, 7)), Conv(96, 3, 1, V))))),  # 71x71x192
        ("stem_mixed_3", MixedSpec(((Conv(192, 3, 2, V),),), pool="max")),  # 35x35x384
        ResidualSpec("block35", BLOCK35, 5, 0.17),
        ("mixed_6a", REDUCTION_A),  # 17x17x1152
        ResidualSpec("block17", BLOCK17, 10, 0.1),
        ("mixed_7a", REDUCTION_B),  # 8x8x2144
        ResidualSpec("block8", BLOCK8, 5, 0.2),
    ),
    conv_7b=None,
    last_linear=False,
)
LAYOUTS = {"keras": KERAS_LAYOUT, "paper": PAPER_LAYOUT}

INCEPTION_RESNET_V2_MINI = InceptionResNetV2Config(
    stem=(StemConv("Conv2d_1a_3x3", 32, 3, 1, "same"), "MaxPool_3a_3x3"),  # 28x28 -> 13x13x32
    stages=(
        ("mixed_5b", MixedSpec(((Conv(16),), (Conv(12), Conv(16, 5)), (Conv(16), Conv(24, 3), Conv(24, 3))),
                               pool="avg", pool_proj=16)),  # 13x13x72
        ResidualSpec("block35", ((Conv(8),), (Conv(8), Conv(8, 3)), (Conv(8), Conv(12, 3), Conv(16, 3))), 1, 0.17),
        ("mixed_6a", MixedSpec(((Conv(48, 3, 2, V),), (Conv(24), Conv(24, 3), Conv(48, 3, 2, V))), pool="max")),  # 6x6x168
        ResidualSpec("block17", ((Conv(32),), (Conv(24), Conv(32, (1, 3)), Conv(32, (3, 1)))), 1, 0.1),
        ("mixed_7a", MixedSpec(((Conv(32), Conv(48, 3, 2, V)), (Conv(32), Conv(40, 3, 2, V)),
                                (Conv(32), Conv(40, 3), Conv(48, 3, 2, V))), pool="max")),  # 2x2x304
        ResidualSpec("block8", ((Conv(32),), (Conv(32), Conv(40, (1, 3)), Conv(48, (3, 1)))), 1, 0.2),
    ),
    conv_7b=256,
)


# --- blocks -----------------------------------------------------------------------------------------

def _branches(cin: int, branches: tuple[tuple[Conv, ...], ...], unit: Unit) -> list[list[Layer]]:
    out = []
    for i, branch in enumerate(branches):
        layers, c = [], cin
        for j, conv in enumerate(branch):
            layers.append(unit(c, conv.filters, conv.kernel, conv.stride, conv.padding, name=f"branch{i}_{j}"))
            c = conv.filters
        out.append(layers)
    return out


def _run(branches: list[list[Layer]], x: tf.Tensor, training: bool) -> list[tf.Tensor]:
    outs = []
    for branch in branches:  # in order: Keras's unnamed layers are matched in the order it creates them
        y = x
        for layer in branch:
            y = layer(y, training=training)
        outs.append(y)
    return outs


class Mixed(Block):
    """Parallel branches and an optional pooling branch, concatenated (mixed_5b, the reductions, Fig. 3's stem)."""

    def __init__(self, cin: int, spec: MixedSpec, unit: Unit, name: str):
        super().__init__(name=name)
        self.branches = _branches(cin, spec.branches, unit)
        self.pool: Layer | None = None
        self.branch_pool: Layer | None = None
        if spec.pool == "max":
            self.pool = MaxPool2D(3, 2, name="pool")
        elif spec.pool == "avg":
            self.pool = AvgPool2D(3, 1, "same", name="pool")
            self.branch_pool = unit(cin, spec.pool_proj, 1, name="branch_pool")
        elif spec.pool is not None:
            raise ConfigError(f"{name}: pool must be 'max', 'avg' or None, got {spec.pool!r}")
        widths = [b[-1].filters for b in spec.branches]
        self.out_channels = sum(widths) + (spec.pool_proj if spec.pool == "avg" else cin if spec.pool else 0)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        outs = _run(self.branches, x, training)
        if self.pool is not None:
            p = self.pool(x)
            outs.append(p if self.branch_pool is None else self.branch_pool(p, training=training))
        return tf.concat(outs, axis=-1)

    def output_shape(self, input_shape: Shape) -> Shape:
        shapes = [thread_shape(b, input_shape) for b in self.branches]
        if self.pool is not None:
            shapes.append(self.pool.output_shape(input_shape))
        if len({s[:2] for s in shapes}) != 1:
            raise ConfigError(f"{self.name}: its branches' maps differ in size: {[s[:2] for s in shapes]}")
        return (*shapes[0][:2], self.out_channels)


class InceptionResNetBlock(Block):
    """Figs. 16, 17, 19: branches, concatenated, a linear 1x1 "up" projection to the input's width, scaled and
    added to the input (Sec. 3.3, Fig. 20), then ReLU (none in the last block of Keras's layout)."""

    def __init__(self, channels: int, spec: ResidualSpec, unit: Unit, name: str, scale: float, relu: bool = True):
        super().__init__(name=name)
        self.branches = _branches(channels, spec.branches, unit)
        mixed = sum(b[-1].filters for b in spec.branches)
        self.up = Conv2D(mixed, channels, 1, use_bias=True, name="up")  # no BatchNorm: Keras's use_bias=True
        self.scale, self.relu = scale, relu

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        up = self.up(tf.concat(_run(self.branches, x, training), axis=-1))
        x = x + up * self.scale
        return tf.nn.relu(x) if self.relu else x

    def output_shape(self, input_shape: Shape) -> Shape:
        for branch in self.branches:
            thread_shape(branch, input_shape)
        return tuple(input_shape)


# --- the network ------------------------------------------------------------------------------------------

class InceptionResNetV2(Model):
    """Inception-ResNet-v2: stem, modules and residual Inception blocks, [conv_7b], average pool, linear.

    Options: ``bn_scale`` (BatchNorm with gamma, as timm), ``dropout`` before the classifier (none, as Keras;
    the paper keeps 0.8, ``dropout=0.2``).
    """

    def __init__(self, config: InceptionResNetV2Config, *, num_classes: int = 1000,
                 input_shape: Shape = (299, 299, 3), include_top: bool = True, pooling: str | None = None,
                 bn_scale: bool = False, dropout: float = 0.0, name: str = "inception_resnet_v2"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        unit = conv_unit(bn_scale)
        self.stem, c = build_stem(config.stem, input_shape[2], unit)
        self.blocks: list[Block] = []
        residual = [s for s in config.stages if isinstance(s, ResidualSpec)]
        for stage in config.stages:
            if isinstance(stage, ResidualSpec):
                for i in range(1, stage.repeats + 1):
                    last = config.last_linear and stage is residual[-1] and i == stage.repeats
                    self.blocks.append(InceptionResNetBlock(c, stage, unit, f"{stage.name}_{i}",
                                                            scale=1.0 if last else stage.scale, relu=not last))
            else:
                label, spec = stage
                block = Mixed(c, spec, unit, label)
                self.blocks.append(block)
                c = block.out_channels
        self.conv_7b = unit(c, config.conv_7b, 1, name="conv_7b") if config.conv_7b else None
        self.num_features = config.conv_7b or c  # 1536
        self.pool = GlobalAvgPool(name="avg_pool")
        self.drop = Dropout(dropout, name="dropout")
        self.fc = Dense(self.num_features, num_classes, name="fc") if include_top else None

    def _layers(self) -> list[Layer]:
        return [*self.stem, *self.blocks, *([self.conv_7b] if self.conv_7b is not None else [])]

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self._layers():
            x = layer(x, training=training)
        return x  # 8x8x1536 at 299x299

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape(self._layers(), input_shape)


KERAS = "Keras Applications"


@register(FAMILY, params=(55_813_192, 55_873_736), macs=13_155_794_016,
          references=[Reference(KERAS, 55_813_192, 55_873_736),
                      Reference("timm", 55_843_464, options={"bn_scale": True})],
          paper_params="none given", note="Keras's (TF-slim's) layout, not Fig. 15's (layout='paper')",
          top1=(80.1, "paper, single crop (as quoted by He et al. 2016b)"))
def inception_resnet_v2(*, num_classes: int = 1000, input_shape: Shape = (299, 299, 3), layout: str = "keras",
                        **options: Any) -> InceptionResNetV2:
    """Inception-ResNet-v2 in Keras's (TF-slim's) layout, whose weights port; 55,813,192 params, 299x299.

    ``layout="paper"`` builds the paper's Fig. 15 instead (see the module docstring).
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    return InceptionResNetV2(LAYOUTS[layout], num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(303_090, 305_410), macs=13_721_056, mini=True)
def inception_resnet_v2_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                             **options: Any) -> InceptionResNetV2:
    """Inception-ResNet-v2 mini: stride-1 stem, one residual block of each kind at ~1/5 width; for 32x32."""
    return InceptionResNetV2(INCEPTION_RESNET_V2_MINI, num_classes=num_classes, input_shape=input_shape,
                             name="inception_resnet_v2_mini", **options)

