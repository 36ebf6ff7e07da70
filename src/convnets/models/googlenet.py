"""GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions",
CVPR 2015 (https://arxiv.org/abs/1409.4842).

Table 1, kept as data in ``INCEPTION_TABLE`` (#1x1, #3x3 reduce, #3x3, #5x5
reduce, #5x5, pool proj) with the stem and pools around it (``GOOGLENET``):

    type            patch/stride  output      notes
    convolution     7x7/2         112x112x64
    max pool        3x3/2         56x56x64    then LRN
    convolution     1x1 + 3x3/1   56x56x192   "reduce" 64, then LRN
    max pool        3x3/2         28x28x192
    inception (3a)                28x28x256   64  96 128 16  32  32
    inception (3b)                28x28x480   128 128 192 32 96  64
    max pool        3x3/2         14x14x480
    inception (4a)                14x14x512   192 96  208 16 48  64   <- auxiliary classifier 1
    inception (4b)                14x14x512   160 112 224 24 64  64
    inception (4c)                14x14x512   128 128 256 24 64  64
    inception (4d)                14x14x528   112 144 288 32 64  64   <- auxiliary classifier 2
    inception (4e)                14x14x832   256 160 320 32 128 128
    max pool        3x3/2         7x7x832
    inception (5a)                7x7x832     256 160 320 32 128 128
    inception (5b)                7x7x1024    384 192 384 48 128 128
    avg pool        7x7/1         1x1x1024
    dropout (40%), linear 1000

Auxiliary classifiers (Sec. 5): 5x5/3 average pool, 1x1 conv with 128 filters,
FC-1024, dropout 70%, linear; used only in training, their losses weighted by
0.3. The model returns ``(logits, [aux1, aux2])`` when ``training=True`` and
just the logits otherwise; the training loop adds 0.3 x their losses.

Exact count, built faithfully (biases, no BatchNorm, true 5x5 branches), 1000
classes at 224x224: 6,998,552 without the auxiliary heads, 13,378,280 with them.
(The paper's "12x fewer parameters than" AlexNet does not follow from this
count: 60,965,224 / 6,998,552 = 8.7x.) MACs: 1.583 G, 5.5% above the paper's
rounded budget of "1.5 billion multiply-adds" at inference. Table 1's ops column
is commonly summed to about 1.5 G too; the 5.5% gap has not been reconciled row
by row (the paper rounds each row to two digits).
torchvision's 6,624,904 comes from BatchNorm and 3x3 kernels
in the "5x5" branch (a known bug kept for its weights, pytorch/vision#906), no LRN,
ceil-mode pools and a 2x2/2 pool before (5a): ``googlenet(variant="torchvision",
aux_logits=False)`` builds exactly that network (``TORCHVISION_GOOGLENET``), so
``convnets.from_torch`` loads its weights (its auxiliary heads, which pool to a fixed
4x4 grid, are not built).

Deviations: none in the architecture. The 3x3/2 max pools are written as
"same" padding; Caffe (the BVLC GoogLeNet model, whose sizes are Table 1's) rounds
pooled sizes up (ceil mode). The two agree on even maps, which are all GoogLeNet
pools at 224x224 (112, 56, 28, 14 -> 56, 28, 14, 7): "same" then pads one row and
column at the bottom/right, exactly where ceil mode adds its last window. On an
odd map (another input size) "same" gives one more row and column than Caffe; see
``convnets/layers/padding.py`` for the explicit pads that match Caffe everywhere.

``include_top=False`` returns inception (5b)'s map (7x7x1024 at 224x224) and
builds no classifier and no auxiliary heads, so it counts 5,973,552 parameters.

``googlenet_mini`` (``GOOGLENET_MINI``) keeps the nine modules, the auxiliary heads
and their 0.3 weight for 32x32 images: the stem is one 3x3 conv (stride 1, 64
filters) and a 3x3/2 max pool, every module width is an eighth of Table 1's (at
least 4), the modules run at 16x16, 8x8 and 4x4, and the auxiliary heads pool
5x5/3 from 8x8 to 2x2 with 32 filters and FC-256. A plain 22-layer net of
4-channel branches barely moves in 50 steps, so the mini adds BatchNorm after
every convolution (``batch_norm=True``, as BN-Inception and torchvision's
GoogLeNet do; the full model keeps the paper's biases and no BatchNorm). 7.8 M MACs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import AvgPool2D, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool, MaxPool2D
from convnets.layers.base import Block, Layer, Shape, thread_shape
from convnets.layers.norm import BatchNorm, LocalResponseNorm
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, register

FAMILY = Family("googlenet", "GoogLeNet", Paper("Szegedy et al.", "Going Deeper with Convolutions", 2014, "1409.4842"),
                full="googlenet", mini="googlenet_mini",
                problem="more depth and width without the cost",
                idea="the inception module: parallel branches, with 1x1 convolutions to reduce channels first")


class InceptionSpec(NamedTuple):
    """One row of Table 1."""

    n1x1: int
    n3x3_reduce: int
    n3x3: int
    n5x5_reduce: int
    n5x5: int
    pool_proj: int

    @property
    def out_channels(self) -> int:
        return self.n1x1 + self.n3x3 + self.n5x5 + self.pool_proj

    def divided(self, divisor: int) -> InceptionSpec:
        """Every width divided by ``divisor``, rounded, at least 4 (the mini's eighth)."""
        return InceptionSpec(*(max(4, round(v / divisor)) for v in self))


# Table 1. "pool" marks the 3x3/2 max pools between the groups.
INCEPTION_TABLE: tuple[tuple[str, InceptionSpec] | str, ...] = (
    ("3a", InceptionSpec(64, 96, 128, 16, 32, 32)),
    ("3b", InceptionSpec(128, 128, 192, 32, 96, 64)),
    "pool",
    ("4a", InceptionSpec(192, 96, 208, 16, 48, 64)),
    ("4b", InceptionSpec(160, 112, 224, 24, 64, 64)),
    ("4c", InceptionSpec(128, 128, 256, 24, 64, 64)),
    ("4d", InceptionSpec(112, 144, 288, 32, 64, 64)),
    ("4e", InceptionSpec(256, 160, 320, 32, 128, 128)),
    "pool",
    ("5a", InceptionSpec(256, 160, 320, 32, 128, 128)),
    ("5b", InceptionSpec(384, 192, 384, 48, 128, 128)),
)
AUX_AFTER = ("4a", "4d")  # Sec. 5: "put on top of the output of the Inception (4a) and (4d) modules"


@dataclass(frozen=True)
class GoogLeNetConfig:
    """Table 1 and Sec. 5 as data; the mini's differences (stem, widths, BatchNorm) are fields too."""

    # "imagenet": Table 1's rows up to inception (3a): conv 7x7/2, max pool 3x3/2, LRN, conv 1x1 ("#3x3 reduce")
    # and 3x3, LRN, max pool 3x3/2; "small": one 3x3/1 conv and a 3x3/2 max pool (the mini, for 32x32).
    stem: str = "imagenet"
    stem_widths: tuple[int, ...] = (64, 64, 192)  # Table 1: conv1's 64, conv2's "#3x3 reduce" 64 and "#3x3" 192
    modules: tuple[tuple[str, InceptionSpec] | str, ...] = INCEPTION_TABLE  # "inception (3a)" .. "(5b)", and pools
    width_divisor: int = 1  # every module width divided by this, at least 4 (the mini: 8)
    aux_after: tuple[str, ...] = AUX_AFTER  # the modules the auxiliary classifiers sit on (Sec. 5)
    aux_conv: int = 128  # Sec. 5: "A 1x1 convolution with 128 filters for dimension reduction"
    aux_fc: int = 1024  # Sec. 5: "A fully connected layer with 1024 units"
    batch_norm: bool = False  # BatchNorm after every convolution: not in the paper (BN-Inception, torchvision do it)
    lrn: bool = True  # Table 1's two LRN layers in the stem (torchvision has none)
    branch3_kernel: int = 5  # the "#5x5" branch's kernel (torchvision: 3, pytorch/vision#906, kept for its weights)
    # "same": TF's padding everywhere; "torchvision": convolutions padded (k - 1) // 2 on every side, its
    # ceil-mode 3x3/2 pools (one pixel more at the bottom/right) and a 2x2/2 pool before (5a).
    padding: str = "same"


# torchvision's googlenet (its weights, through convnets.from_torch): BatchNorm, no LRN, 3x3 "5x5" branches.
TORCHVISION_GOOGLENET = GoogLeNetConfig(batch_norm=True, lrn=False, branch3_kernel=3, padding="torchvision")


# Table 1, and the mini for 32x32 images (see the module docstring).
GOOGLENET = GoogLeNetConfig()
GOOGLENET_MINI = GoogLeNetConfig(stem="small", stem_widths=(64,), width_divisor=8, aux_conv=32, aux_fc=256,
                                 batch_norm=True)


class ConvUnit(Block):
    """Convolution + ReLU as in the paper ("all convolutions ... use rectified linear
    activation"), or convolution + BatchNorm + ReLU with ``batch_norm=True``."""

    def __init__(self, cin: int, cout: int, k: int, name: str, stride: int = 1, batch_norm: bool = False,
                 padding: str = "same"):
        super().__init__(name=name)
        pad: str | int = "same" if padding == "same" else (k - 1) // 2
        self.conv = Conv2D(cin, cout, k, stride, padding=pad, use_bias=not batch_norm, w_init="glorot_uniform",
                           name="conv")
        self.bn = BatchNorm(cout, epsilon=1e-3, name="bn") if batch_norm else None
        self.out_channels = cout

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x, training=training)
        return tf.nn.relu(x)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)


class Inception(Block):
    """Four parallel branches concatenated on channels (Fig. 2b)."""

    def __init__(self, in_channels: int, spec: InceptionSpec, batch_norm: bool = False, name: str | None = None,
                 branch3_kernel: int = 5, padding: str = "same"):
        super().__init__(name=name)
        s, kw = spec, dict(batch_norm=batch_norm, padding=padding)
        self.b1 = ConvUnit(in_channels, s.n1x1, 1, "b1x1", **kw)
        self.b2_reduce = ConvUnit(in_channels, s.n3x3_reduce, 1, "b3x3_reduce", **kw)
        self.b2 = ConvUnit(s.n3x3_reduce, s.n3x3, 3, "b3x3", **kw)
        self.b3_reduce = ConvUnit(in_channels, s.n5x5_reduce, 1, "b5x5_reduce", **kw)
        self.b3 = ConvUnit(s.n5x5_reduce, s.n5x5, branch3_kernel, "b5x5", **kw)
        self.b4_pool = MaxPool2D(3, 1, padding="same", name="pool")  # stride 1: "same" is one pixel on every side
        self.b4 = ConvUnit(in_channels, s.pool_proj, 1, "pool_proj", **kw)
        self.out_channels = s.out_channels

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        t = training
        return tf.concat(
            [
                self.b1(x, training=t),
                self.b2(self.b2_reduce(x, training=t), training=t),
                self.b3(self.b3_reduce(x, training=t), training=t),
                self.b4(self.b4_pool(x), training=t),
            ],
            axis=-1,
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:2], self.out_channels)


class AuxClassifier(Block):
    """Sec. 5: avg pool 5x5/3, 1x1 conv, FC, dropout 70%, linear."""

    def __init__(self, in_shape: Shape, num_classes: int, conv: int = 128, fc: int = 1024, name: str | None = None):
        super().__init__(name=name)
        self.pool = AvgPool2D(5, 3, name="pool")
        self.conv = ConvUnit(in_shape[2], conv, 1, "conv")
        self.flatten = Flatten(name="flatten")
        h, w, _ = self.pool.output_shape(in_shape)
        self.fc = Dense(h * w * conv, fc, name="fc")
        self.drop = Dropout(0.7, name="drop")
        self.classifier = Dense(fc, num_classes, name="classifier")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv(self.pool(x))
        x = self.drop(tf.nn.relu(self.fc(self.flatten(x))), training=training)
        return self.classifier(x)

    def output_shape(self, input_shape: Shape) -> Shape:
        return (self.classifier.out_features,)


def _pool(config: GoogLeNetConfig, name: str, kernel: int = 3) -> MaxPool2D:
    """A stride-2 max pool: TF's "same", or torchvision's ceil mode (one more pixel at the bottom/right)."""
    return MaxPool2D(kernel, 2, padding="same" if config.padding == "same" else ((0, 1), (0, 1)), name=name)


def _stem(config: GoogLeNetConfig, in_channels: int) -> list[Layer]:
    bn = config.batch_norm
    if config.padding not in ("same", "torchvision"):
        raise ConfigError(f"GoogLeNet padding must be 'same' or 'torchvision', got {config.padding!r}")
    if config.stem == "small":
        (width,) = config.stem_widths
        return [ConvUnit(in_channels, width, 3, "conv1", batch_norm=bn),
                MaxPool2D(3, 2, padding="same", name="pool1")]  # 16x16x64
    if config.stem != "imagenet":
        raise ConfigError(f"GoogLeNet stem must be 'imagenet' or 'small', got {config.stem!r}")
    conv1, conv2_reduce, conv2 = config.stem_widths
    kw = dict(batch_norm=bn, padding=config.padding)
    return [
        ConvUnit(in_channels, conv1, 7, "conv1", stride=2, **kw),  # 112x112x64
        _pool(config, "pool1"),  # 56x56x64
        *([LocalResponseNorm(name="norm1")] if config.lrn else []),
        ConvUnit(conv1, conv2_reduce, 1, "conv2_reduce", **kw),
        ConvUnit(conv2_reduce, conv2, 3, "conv2", **kw),  # 56x56x192
        *([LocalResponseNorm(name="norm2")] if config.lrn else []),
        _pool(config, "pool2"),  # 28x28x192
    ]


class GoogLeNet(Model):
    """Table 1's network: the stem, nine Inception modules with max pools between the groups, average pool,
    dropout and a linear classifier, and the auxiliary classifiers of Sec. 5 on (4a) and (4d).

    In training the model returns ``(logits, [aux1, aux2])``, otherwise the logits. ``include_top=False`` builds
    neither the classifier nor the auxiliary heads (they exist for the top's loss). Options: ``aux_logits`` (False
    drops the auxiliary heads), ``dropout`` before the classifier (Table 1: 40%).
    """

    def __init__(self, config: GoogLeNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, aux_logits: bool = True, dropout: float = 0.4,
                 name: str = "googlenet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        self.stem = _stem(config, input_shape[2])
        channels = config.stem_widths[-1]
        shape = thread_shape(self.stem, input_shape)
        self.body: list[Layer] = []
        self.aux: list[AuxClassifier] = []
        self._aux_after: list[int] = []  # index in ``body`` of the module each auxiliary head reads
        pool_i = 3
        for row in config.modules:
            if row == "pool":
                # torchvision's pool before (5a) is 2x2/2 (Table 1's 3x3/2); the same 7x7 map at 224x224
                kernel = 2 if config.padding == "torchvision" and pool_i == 4 else 3
                layer: Layer = _pool(config, f"pool{pool_i}", kernel)
                pool_i += 1
            else:
                label, spec = row
                layer = Inception(channels, spec.divided(config.width_divisor), config.batch_norm,
                                  name=f"inception_{label}", branch3_kernel=config.branch3_kernel,
                                  padding=config.padding)
                channels = layer.out_channels
            self.body.append(layer)
            shape = layer.output_shape(shape)
            if include_top and aux_logits and row != "pool" and row[0] in config.aux_after:
                self.aux.append(AuxClassifier(shape, num_classes, config.aux_conv, config.aux_fc,
                                              name=f"aux{len(self.aux) + 1}"))
                self._aux_after.append(len(self.body) - 1)
        self.num_features = channels  # 1024 (Table 1's inception (5b)); 128 in the mini
        self.pool = GlobalAvgPool(name="avg_pool")  # Table 1's 7x7 average pool
        self.drop = Dropout(dropout, name="drop")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None

    def _features(self, x: tf.Tensor, training: bool, aux: bool) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """The last feature map, and the auxiliary heads' logits if ``aux`` (each run right after its module)."""
        aux_out = []
        for layer in self.stem:
            x = layer(x, training=training)
        for i, layer in enumerate(self.body):
            x = layer(x, training=training)
            if aux and i in self._aux_after:
                aux_out.append(self.aux[self._aux_after.index(i)](x, training=training))
        return x, aux_out

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self._features(x, training, aux=False)[0]  # 7x7x1024

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.drop(self.pool(x), training=training))

    def forward(self, x: tf.Tensor, training: bool = False) -> Any:
        if not (training and self.aux):  # the auxiliary heads run only in training (and exist only with the top)
            return super().forward(x, training=training)
        x, aux_out = self._features(x, training, aux=True)
        return self.forward_head(x, training=training), aux_out

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.stem, *self.body), input_shape)

    def training_only(self) -> list[tuple[Block, Shape]]:
        """The auxiliary heads, each with the shape of the map it reads (for ``summarize``)."""
        heads, shape = [], thread_shape(self.stem, self.input_shape)
        for i, layer in enumerate(self.body):
            shape = layer.output_shape(shape)
            if i in self._aux_after:
                heads.append((self.aux[self._aux_after.index(i)], shape))
        return heads

    @property
    def main_params(self) -> int:
        """Trainable parameters without the auxiliary heads (what inference keeps)."""
        return self.trainable_params - sum(a.trainable_params for a in self.aux)


@register(FAMILY, params=(13_378_280, 13_378_280), macs=1_582_671_872, paper_params="about 6.8M by Table 1's rows",
          note="count includes both auxiliary heads; 6,998,552 without", paper_macs=(1.5e9, "Sec. 5"),
          macs_tolerance=0.06,
          top1=(69.778, "torchvision IMAGENET1K_V1 (its BN variant; the paper gives top-5 only)"))
def googlenet(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), batch_norm: bool = False,
              variant: str = "paper", **options: Any) -> GoogLeNet:
    """GoogLeNet / Inception v1 (Table 1) with auxiliary heads; 6,998,552 params without them.

    ``variant="torchvision"``: torchvision's network (``TORCHVISION_GOOGLENET``; 6,624,904 params with
    ``aux_logits=False``), whose weights ``convnets.from_torch`` loads."""
    if variant == "torchvision":
        return GoogLeNet(TORCHVISION_GOOGLENET, num_classes=num_classes, input_shape=input_shape, **options)
    if variant != "paper":
        raise ConfigError(f"googlenet: variant must be 'paper' or 'torchvision', got {variant!r}")
    return GoogLeNet(replace(GOOGLENET, batch_norm=batch_norm), num_classes=num_classes, input_shape=input_shape,
                     **options)


@register(FAMILY, params=(173_910, 175_790), macs=7_814_144, mini=True)
def googlenet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), batch_norm: bool = True,
                   **options: Any) -> GoogLeNet:
    """GoogLeNet mini: 3x3 stem conv + pool, all nine modules at 1/8 width with BatchNorm, aux heads; for 32x32."""
    return GoogLeNet(replace(GOOGLENET_MINI, batch_norm=batch_norm), num_classes=num_classes,
                     input_shape=input_shape, name="googlenet_mini", **options)
