"""ConvNeXt: Liu, Mao, Wu, Feichtenhofer, Darrell & Xie, "A ConvNet for the 2020s",
CVPR 2022 (https://arxiv.org/abs/2201.03545).

The convnet that answered the vision transformers. Starting from a ResNet-50 and its
training recipe, the paper applies the Swin Transformer's design choices one at a time
(its Figure 2, the "roadmap") and keeps each that helps: the stage ratio 3:3:9:3
(Sec. 2.2), a "patchify" stem (a 4x4 convolution with stride 4, like a ViT's patches),
depthwise convolutions (2.3: the analogue of attention's per-channel mixing) made wide,
the inverted bottleneck (2.4: 4x expansion, as a transformer's MLP), large 7x7 kernels
with the depthwise layer moved up to the start of the block (2.5), and the micro
design (2.6): GELU instead of ReLU, one activation and one normalisation per block,
LayerNorm instead of BatchNorm, and separate downsampling layers (LayerNorm, then a 2x2
convolution with stride 2) between stages. Training adds stochastic depth and layer
scale (gamma, starting at 1e-6, per channel, on each block's branch).

The block (Figure 4, right), as ``ConvNeXtBlock``:

    x -> dwconv 7x7 (d) -> LayerNorm -> 1x1 (4d) -> GELU -> 1x1 (d) -> layer scale -> drop path -> + x

The variants (Sec. 2.7 and the official code), as ``VARIANTS``: channels C and blocks B
per stage:

    ConvNeXt-T  C = (96, 192, 384, 768)     B = (3, 3, 9, 3)
    ConvNeXt-S  C = (96, 192, 384, 768)     B = (3, 3, 27, 3)
    ConvNeXt-B  C = (128, 256, 512, 1024)   B = (3, 3, 27, 3)
    ConvNeXt-L  C = (192, 384, 768, 1536)   B = (3, 3, 27, 3)
    ConvNeXt-XL C = (256, 512, 1024, 2048)  B = (3, 3, 27, 3)

Built as the official code, Keras Applications and torchvision build it (the three have
the same counts exactly; weights port through ``convnets.from_keras`` and
``convnets.from_torch``): the pointwise layers are ``Dense`` layers on the (N, H, W, C)
map, LayerNorm epsilon 1e-6, the head a global average pool, a LayerNorm and the
classifier. Without its top (``include_top=False``) the head's LayerNorm still runs, on
the pooled vector or on the map, as in Keras. ``include_preprocessing=True`` adds
Keras's input front (ImageNet mean and variance on 0..255 pixels, as constants).

Exact counts (1000 classes, 224x224; no BatchNorm, so trainable = total), equal in
Keras, torchvision and timm, and the official README's rounded figures:

    model   params        MACs                        README
    tiny     28,589,128    4.456 G (4,455,531,264)     28M /  4.5G, 82.1% top-1
    small    50,223,688    8.684 G (8,683,712,256)     50M /  8.7G, 83.1%
    base     88,591,464   15.355 G (15,354,729,472)    89M / 15.4G, 83.8%
    large   197,767,336   34.361 G (34,361,433,600)   198M / 34.4G, 84.3%
    xlarge  350,196,968   60.921 G                    350M / 60.9G, 87.0% (ImageNet-22K pre-trained)

``convnext_mini`` keeps every idea of the block, the patchify stem and the separate
downsampling layers, for 28x28 and 32x32 images: a 2x2 stride-2 patchify stem (a 4x4
one would leave 8x8 after the stem and 1x1 after three downsamplings), three stages
instead of four (16x16, 8x8, 4x4 at 32x32), widths (32, 64, 128) and blocks (1, 1, 3)
(T's 3:3:9:3 emphasis on the third stage), drop path 0.05: 505,386 parameters, 12.5 M MACs
at 32x32. Sized for a 2-core CPU, where the 7x7 depthwise convolutions, the LayerNorms and
GELUs are memory-bound (GELU and LayerNorm write their gradients out: 1.24x the step rate
of autodiff's): blocks (2, 2, 4) at widths (24, 48, 96) trained at 493 img/s on an AVX2
machine, too slow for five Fashion-MNIST epochs in ten minutes. (1, 1, 3) at those widths
(289,954 parameters) ran at ~1,700 img/s on a 2-core Xeon but ended 10 Fashion-MNIST
epochs at 90.22-90.29%; at (32, 64, 128) 90.96%; its recipe's 12 epochs, 91.29-91.39% on seeds 0-2.
Without BatchNorm the step does not care about the batch size (as fast at 128 as at 256), but
batch 128 learned no faster per second here; at 28x28 the last downsampling takes 7x7 to 3x3.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import (
    Activation,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    DropPath,
    GlobalAvgPool,
    LayerNorm,
    LayerScale,
    Normalization,
    init,
    thread_shape,
)
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("convnext", "ConvNeXt",
                Paper("Liu et al.", "A ConvNet for the 2020s", 2022, "2201.03545"),
                full="convnext_tiny", mini="convnext_mini",
                problem="can a pure convnet match the vision transformers?",
                idea="modernisation: a ResNet rebuilt with a transformer's design choices")

# Sec. 2.7: (channels per stage, blocks per stage)
VARIANTS = {
    "tiny": ((96, 192, 384, 768), (3, 3, 9, 3)),
    "small": ((96, 192, 384, 768), (3, 3, 27, 3)),
    "base": ((128, 256, 512, 1024), (3, 3, 27, 3)),
    "large": ((192, 384, 768, 1536), (3, 3, 27, 3)),
    "xlarge": ((256, 512, 1024, 2048), (3, 3, 27, 3)),
}
# ImageNet's mean and standard deviation on 0..255 pixels (Keras's PreStem).
_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]
# The official code initialises convolutions and linear layers from N(0, 0.02) truncated at +-2
# (in absolute terms, so ~100 sigma: in effect a plain normal), biases at zero.
_W_INIT = init.normal(0.02)


class ConvNeXtBlock(Block):
    """Figure 4 (right): depthwise 7x7, LayerNorm, 1x1 to 4x the width, GELU, 1x1 back, layer scale,
    drop path, added to the input. The 1x1 layers are Dense layers on the map (the official code's
    ``pwconv1``/``pwconv2``)."""

    def __init__(self, dim: int, drop_path: float = 0.0, layer_scale: float | None = 1e-6, kernel_size: int = 7,
                 expansion: int = 4, name: str | None = None):
        super().__init__(name=name)
        self.dwconv = DepthwiseConv2D(dim, kernel_size, 1, "same", use_bias=True, w_init=_W_INIT, name="dwconv")
        self.norm = LayerNorm(dim, name="norm")
        self.pwconv1 = Dense(dim, expansion * dim, w_init=_W_INIT, name="pwconv1")
        self.act = Activation("gelu", name="gelu")
        self.pwconv2 = Dense(expansion * dim, dim, w_init=_W_INIT, name="pwconv2")
        self.layer_scale = LayerScale(dim, layer_scale, name="layer_scale") if layer_scale else None
        self.drop_path = DropPath(drop_path, name="drop_path")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x)))))
        if self.layer_scale is not None:
            y = self.layer_scale(y)
        return x + self.drop_path(y, training=training)

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.dwconv.output_shape(input_shape)


class Downsample(Block):
    """Between stages (Sec. 2.6, "separate downsampling layers"): LayerNorm, then a 2x2 convolution with
    stride 2. The stem is the same pair the other way round: a ``patch`` x ``patch`` convolution with
    stride ``patch`` ("patchify", Sec. 2.3), then LayerNorm."""

    def __init__(self, cin: int, cout: int, patch: int = 2, stem: bool = False, name: str | None = None):
        super().__init__(name=name)
        self.stem = stem
        self.norm = LayerNorm(cout if stem else cin, name="norm")
        self.conv = Conv2D(cin, cout, patch, patch, "valid", use_bias=True, w_init=_W_INIT, name="conv")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.norm(self.conv(x)) if self.stem else self.conv(self.norm(x))

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.conv.output_shape(input_shape)


class ConvNeXt(Model):
    """Patchify stem, stages of ConvNeXt blocks with downsampling layers between them, global average pool,
    LayerNorm, classifier.

    Options: ``drop_path`` (the last block's stochastic-depth rate, rising linearly from 0 at the first:
    0.1 / 0.4 / 0.5 / 0.5 for T / S / B / L in the paper's ImageNet-1K training, Table 9; 0 here by
    default, as Keras and torchvision build them), ``layer_scale`` (gamma's initial value, 1e-6; 0
    for none), ``kernel_size`` (the depthwise kernel: 7, Sec. 2.5), ``include_preprocessing`` (Keras's
    ImageNet normalisation of 0..255 pixels inside).
    """

    def __init__(self, dims: tuple[int, ...], depths: tuple[int, ...], *, num_classes: int = 1000,
                 input_shape: Shape = (224, 224, 3), include_top: bool = True, pooling: str | None = None,
                 patch: int = 4, drop_path: float = 0.0, layer_scale: float | None = 1e-6,
                 kernel_size: int = 7, include_preprocessing: bool = False, name: str = "convnext"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        if len(dims) != len(depths) or not dims:
            raise ConfigError(f"{name}: one width per stage: got {len(dims)} widths and {len(depths)} depths")
        if not 0.0 <= drop_path < 1.0:
            raise ConfigError(f"{name}: drop_path must be in [0, 1), got {drop_path}")
        if include_preprocessing and input_shape[2] != 3:
            raise ConfigError(f"{name}: include_preprocessing normalises RGB pixels; the input has "
                              f"{input_shape[2]} channels")
        self.front: list[Layer] = ([Normalization(3, _MEAN, _VARIANCE, fixed=True, name="normalization")]
                                   if include_preprocessing else [])
        rates = np.linspace(0.0, drop_path, sum(depths))  # stochastic depth grows linearly with depth
        self.stages: list[Layer] = []
        c, b = input_shape[2], 0
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            if i == 0:
                self.stages.append(Downsample(c, dim, patch, stem=True, name="stem"))
            else:
                self.stages.append(Downsample(c, dim, 2, name=f"stage{i + 1}_downsample"))
            for j in range(depth):
                self.stages.append(ConvNeXtBlock(dim, float(rates[b]), layer_scale, kernel_size,
                                                 name=f"stage{i + 1}_block{j + 1}"))
                b += 1
            c = dim
        self.num_features = c
        self.pool = GlobalAvgPool(name="avg_pool")
        self.head_norm = LayerNorm(c, name="head_norm")
        self.fc = Dense(c, num_classes, w_init=_W_INIT, name="predictions") if include_top else None

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in (*self.front, *self.stages):
            x = layer(x, training=training)
        return x

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fc(self.head_norm(self.pool(x)))

    def forward(self, x: tf.Tensor, training: bool = False) -> Any:
        if self.include_top:
            return super().forward(x, training)
        # Keras's headless ConvNeXt keeps the head's LayerNorm: after the pooling, or on the map.
        return self.head_norm(super().forward(x, training))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((*self.front, *self.stages), input_shape)


KERAS, TORCHVISION = "Keras Applications", "torchvision"
# params, MACs at 224 (Keras = torchvision = timm), README params / GFLOPs, ImageNet-1K top-1 (README)
_FACTS = {
    "tiny": (28_589_128, 4_455_531_264, "28M", 4.5e9, 82.1),
    "small": (50_223_688, 8_683_712_256, "50M", 8.7e9, 83.1),
    "base": (88_591_464, 15_354_729_472, "89M", 15.4e9, 83.8),
    "large": (197_767_336, 34_361_433_600, "198M", 34.4e9, 84.3),
    "xlarge": (350_196_968, 60_921_030_656, "350M", 60.9e9, 87.0),
}


def _builder(size: str) -> None:
    dims, depths = VARIANTS[size]
    params, macs, paper_params, paper_macs, top1 = _FACTS[size]
    name = f"convnext_{size}"

    def build(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ConvNeXt:
        return ConvNeXt(dims, depths, num_classes=num_classes, input_shape=input_shape, name=name, **options)

    build.__doc__ = f"ConvNeXt-{size[0].upper() if size != 'xlarge' else 'XL'} (C = {dims}, B = {depths}); {params:,} params."
    references = [Reference(KERAS, params, params)]
    if size != "xlarge":  # torchvision has T, S, B and L
        references.append(Reference(TORCHVISION, params))
    register(FAMILY, name=name, params=(params, params), macs=macs, references=references,
             paper_params=f"{paper_params} (official README)", paper_macs=(paper_macs, "official README"),
             top1=(top1, "official README" + (", ImageNet-22K pre-trained" if size == "xlarge" else "")))(build)
    globals()[name] = build


for _size in VARIANTS:
    _builder(_size)


@register(FAMILY, params=(505_386, 505_386), macs=12_537_088, mini=True)
def convnext_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> ConvNeXt:
    """ConvNeXt mini: a 2x2 patchify stem, three stages of (32, 64, 128) channels and (1, 1, 3) blocks, drop
    path 0.05; for 28x28 and 32x32 images (32x32 ends at 4x4)."""
    options.setdefault("drop_path", 0.05)
    return ConvNeXt((32, 64, 128), (1, 1, 3), num_classes=num_classes, input_shape=input_shape, patch=2,
                    name="convnext_mini", **options)
