"""SqueezeNet: Iandola, Han, Moskewicz, Ashraf, Dally & Keutzer, "SqueezeNet:
AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size", 2016
(https://arxiv.org/abs/1602.07360).

Three strategies (Sec. 3.1): replace 3x3 filters by 1x1, cut the channels that
reach the 3x3 filters, and downsample late so the convolutions see large maps.
A *Fire module* (Sec. 3.2, Fig. 1) does the first two: a *squeeze* layer of
``s1x1`` 1x1 filters, then an *expand* layer of ``e1x1`` 1x1 and ``e3x3`` 3x3
filters whose outputs are concatenated (``s1x1 < e1x1 + e3x3``), every one
followed by ReLU. There is no fully connected layer: after dropout 0.5 the last
convolution (conv10, 1x1) has one map per class, averaged by a global pool, as
Network in Network's head.

Table 1 (SqueezeNet, the paper's 227x227 input), as data below (``SQUEEZENET1_0``):

    layer     output      filter / stride   s1x1   e1x1   e3x3
    conv1     111x111x96  7x7/2 (x96)
    maxpool1  55x55x96    3x3/2
    fire2     55x55x128                     16     64     64
    fire3     55x55x128                     16     64     64
    fire4     55x55x256                     32     128    128
    maxpool4  27x27x256   3x3/2
    fire5     27x27x256                     32     128    128
    fire6     27x27x384                     48     192    192
    fire7     27x27x384                     48     192    192
    fire8     27x27x512                     64     256    256
    maxpool8  13x13x512   3x3/2
    fire9     13x13x512                     64     256    256
    conv10    13x13x1000  1x1/1 (x1000)
    avgpool10 1x1x1000    13x13/1

SqueezeNet 1.1 (``SQUEEZENET1_1``) is not in the paper: the authors' repository
(forresti/SqueezeNet, ``SqueezeNet_v1.1/README.md``) gives conv1 "64 filters of
resolution 3x3" instead of 96 of 7x7, and pools after layers {1, 3, 5} instead
of {1, 4, 8}: "2.4x less computation than SqueezeNet v1.0, without sacrificing
accuracy".

The max pools are Caffe's, which round the output size up (ceil mode): written
here as floor-mode pools with explicit ``((0, 1), (0, 1))`` pads (padded with
-inf, which no max picks), which is Caffe's rounding for a 3x3/2 pool on every
size (see convnets/layers/padding.py). At 224x224, 1.0's maps are 109 (conv1),
54, 27 and 13; TensorFlow's ``"same"`` would give 55, 28 and 14.

Exact counts (1000 classes, 224x224; no BatchNorm, so total = trainable):

    squeezenet1_0   1,248,424   torchvision 1,248,424 (the paper's Table 1: 1,248,424 "before pruning")
                    818,924,576 MACs, torchvision's 0.819 "GFLOPS" exactly
    squeezenet1_1   1,235,496   torchvision 1,235,496
                    349,151,936 MACs, torchvision's 0.349 exactly (2.35x fewer than 1.0)

The paper gives no MACs. Its Table 1 sizes are for 227x227 crops (Caffe's
``crop_size: 227``); torchvision and this library default to 224x224.

Differences. From the paper: none in the architecture; Caffe's initialisation
is Xavier for every layer but conv10 (Gaussian, std 0.01), here He-uniform as
torchvision (conv10 the same Gaussian). From torchvision: none in what it
computes (tests/test_squeezenet.py copies torchvision's weights and compares
logits). Keras Applications has no SqueezeNet.

Options: ``batch_norm`` (BatchNorm after every convolution but conv10, the
convolutions then without bias; the paper has none), ``bypass`` (Sec. 6 and
Fig. 2's "simple bypass": identity shortcuts around the Fire modules whose input
and output widths agree, fire3/5/7/9 in 1.0; no parameters; 60.4% top-1 against
57.5% in Table 3; the "complex bypass" with 1x1 convolutions on the other
shortcuts is not built), ``dropout`` (0.5 after fire9).

``include_top=False`` returns fire9's map (13x13x512 at 224x224): conv10 has one
map per class, so it is the head, with the dropout before it and the pool after.

``squeezenet_mini`` (``SQUEEZENET_MINI``) is for 32x32 and Fashion-MNIST's
28x28x1, designed to train to 91% on Fashion-MNIST in under 10 minutes on a
2-core CPU (its recipe: 7 epochs of under a minute each). How:

- a stride-1 3x3 stem (padded) instead of conv1's 7x7/2: a 28-pixel image cannot
  afford to lose half its resolution in the first layer. It has 16 filters, not
  1.1's 64: the stem's map is the only one at full size, and on 2 cores a wider
  one cost most of the step (a training step with 16 filters ran at 0.8x
  vgg_mini's speed, with 24 or 32 at under 0.5x, with 64 at 0.4x);
- only the paper's first four Fire modules, at their widths (fire2/3: 16, 64,
  64; fire4/5: 32, 128, 128), with 1.1's pools after conv1 and fire3 (28 -> 14
  -> 7), so every Fire module sees a 14x14 or 7x7 map;
- BatchNorm after every convolution but conv10 (the ``batch_norm`` option), so
  AdamW at the fast recipe's 4e-3 peak converges in a few epochs; no dropout
  (seven epochs underfit more than they overfit: five gave 90.59%);
- no ReLU on conv10's class maps: with ten classes a class whose map turns all
  negative gets no gradient through that ReLU and stays at a logit of 0 (the
  full models keep the paper's ReLU).

121,754 trainable parameters and 12.5 M MACs at 32x32x3 (121,466 and 9.3 M at
28x28x1). Measured on Fashion-MNIST: 91.35% after the 7-epoch recipe, 288 s of
training on 2 cores (seed 0; docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.layers import Conv2D, ConvBN, Dropout, GlobalAvgPool, MaxPool2D, init, thread_shape
from convnets.layers.base import Block, Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("squeezenet", "SqueezeNet",
                Paper("Iandola, Han, Moskewicz, Ashraf, Dally & Keutzer",
                      "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
                      2016, "1602.07360"),
                full="squeezenet1_0", mini="squeezenet_mini",
                problem="AlexNet's accuracy in far fewer parameters",
                idea="the fire module: squeeze with 1x1, expand with 1x1 and 3x3")

# Caffe's ceil-mode 3x3/2 max pool as a floor-mode one: one more (-inf) row and column at the bottom/right.
CAFFE_POOL_PADS = ((0, 1), (0, 1))


@dataclass(frozen=True)
class Fire:
    """One Fire module (Sec. 3.2): Table 1's s1x1, e1x1 and e3x3 columns."""

    s1x1: int  # squeeze: 1x1 filters
    e1x1: int  # expand: 1x1 filters
    e3x3: int  # expand: 3x3 filters (padded by 1; concatenated after the 1x1 maps)

    @property
    def out_channels(self) -> int:
        return self.e1x1 + self.e3x3


@dataclass(frozen=True)
class SqueezeNetConfig:
    """Table 1 (1.0), the repository's 1.1, or the mini."""

    conv1: int  # conv1's filters: 96 (1.0), 64 (1.1)
    conv1_kernel: int  # 7 (1.0), 3 (1.1)
    fires: tuple[Fire, ...]  # fire2, fire3, ... in order
    pool_after: tuple[int, ...]  # 3x3/2 max pools after these layers (conv1 = 1, fire2 = 2, ...): {1, 4, 8} in 1.0
    conv1_stride: int = 2
    conv1_padding: int = 0  # Caffe's conv1 has none: 224 -> 109 (7x7/2) or 111 (3x3/2)
    classifier_relu: bool = True  # the ReLU after conv10 (the paper's and torchvision's)


_FIRES = (Fire(16, 64, 64), Fire(16, 64, 64), Fire(32, 128, 128), Fire(32, 128, 128),  # fire2 .. fire5
          Fire(48, 192, 192), Fire(48, 192, 192), Fire(64, 256, 256), Fire(64, 256, 256))  # fire6 .. fire9
SQUEEZENET1_0 = SqueezeNetConfig(conv1=96, conv1_kernel=7, fires=_FIRES, pool_after=(1, 4, 8))  # Table 1
SQUEEZENET1_1 = SqueezeNetConfig(conv1=64, conv1_kernel=3, fires=_FIRES, pool_after=(1, 3, 5))  # v1.1 README
SQUEEZENET_MINI = SqueezeNetConfig(conv1=16, conv1_kernel=3, conv1_stride=1, conv1_padding=1, fires=_FIRES[:4],
                                   pool_after=(1, 3), classifier_relu=False)
DROPOUT = 0.5  # "we apply dropout with a ratio of 50% after the fire9 module" (Sec. 3.3)


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int, padding: int, batch_norm: bool,
          name: str) -> Layer:
    """A convolution followed by ReLU; with ``batch_norm``, conv (no bias) -> BN -> ReLU."""
    if batch_norm:
        return ConvBN(in_channels, out_channels, kernel, stride, padding=padding, name=name)
    return Conv2D(in_channels, out_channels, kernel, stride, padding=padding, w_init="he_uniform", name=name)


class FireModule(Block):
    """squeeze (1x1) -> ReLU -> [expand 1x1, expand 3x3] -> ReLU, concatenated (Fig. 1)."""

    def __init__(self, in_channels: int, fire: Fire, batch_norm: bool = False, bypass: bool = False,
                 name: str | None = None):
        super().__init__(name=name)
        self.batch_norm = batch_norm
        self.squeeze1x1 = _conv(in_channels, fire.s1x1, 1, 1, 0, batch_norm, "squeeze1x1")
        self.expand1x1 = _conv(fire.s1x1, fire.e1x1, 1, 1, 0, batch_norm, "expand1x1")
        self.expand3x3 = _conv(fire.s1x1, fire.e3x3, 3, 1, 1, batch_norm, "expand3x3")
        self.out_channels = fire.out_channels
        self.bypass = bypass and in_channels == fire.out_channels  # Sec. 6: only where the widths agree

    def _relu(self, layer: Layer, x: tf.Tensor, training: bool) -> tf.Tensor:
        return layer(x, training=training) if self.batch_norm else tf.nn.relu(layer(x))  # ConvBN has its ReLU

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        s = self._relu(self.squeeze1x1, x, training)
        y = tf.concat([self._relu(self.expand1x1, s, training), self._relu(self.expand3x3, s, training)], axis=-1)
        return x + y if self.bypass else y

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = self.squeeze1x1.output_shape(input_shape)
        return (h, w, self.out_channels)


class SqueezeNet(Model):
    """conv1, Fire modules with max pools between them, dropout, conv10 (one map per class), global average pool.

    Options: ``batch_norm`` (after every convolution but conv10; none in the
    paper), ``bypass`` (Sec. 6's simple bypass), ``dropout`` (0.5 after fire9).
    """

    def __init__(self, config: SqueezeNetConfig, *, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                 include_top: bool = True, pooling: str | None = None, batch_norm: bool = False,
                 bypass: bool = False, dropout: float = DROPOUT, name: str = "squeezenet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        self.conv1 = _conv(input_shape[2], config.conv1, config.conv1_kernel, config.conv1_stride,
                           config.conv1_padding, batch_norm, "conv1")
        self.batch_norm = batch_norm
        self.layers: list[Layer] = [self.conv1]
        if 1 in config.pool_after:
            self.layers.append(MaxPool2D(3, 2, padding=CAFFE_POOL_PADS, name="pool1"))
        channels = config.conv1
        for i, fire in enumerate(config.fires):
            number = i + 2  # Table 1 numbers the Fire modules from 2
            self.layers.append(FireModule(channels, fire, batch_norm, bypass, name=f"fire{number}"))
            channels = fire.out_channels
            if number in config.pool_after:
                self.layers.append(MaxPool2D(3, 2, padding=CAFFE_POOL_PADS, name=f"pool{number}"))
        self.num_features = channels  # 512
        self.dropout = Dropout(dropout, name=f"drop{len(config.fires) + 1}")
        self.classifier_relu = config.classifier_relu
        # conv10: one map per class; N(0, 0.01) as Caffe's and torchvision's (the others: He-uniform, as torchvision).
        self.conv10 = (Conv2D(channels, num_classes, 1, w_init=init.normal(0.01), name="conv10")
                       if include_top else None)
        self.pool10 = GlobalAvgPool(name="pool10")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv1(x, training=training) if self.batch_norm else tf.nn.relu(self.conv1(x))
        for layer in self.layers[1:]:
            x = layer(x, training=training)
        return x  # fire9: 13x13x512 at 224x224

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.conv10(self.dropout(x, training=training))
        return self.pool10(tf.nn.relu(x) if self.classifier_relu else x)

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape(self.layers, input_shape)


TORCHVISION = "torchvision"


@register(FAMILY, params=(1_248_424, 1_248_424), macs=818_924_576, paper_params="1,248,424 (Table 1)",
          references=[Reference(TORCHVISION, 1_248_424, 1_248_424)],
          note="Caffe's ceil-mode pools as explicit pads: 54/27/13 maps at 224x224; no MACs in the paper",
          top1=(57.5, "paper Table 3"))
def squeezenet1_0(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (Table 1): eight Fire modules, conv10 and a global pool; 1,248,424 params, as torchvision."""
    return SqueezeNet(SQUEEZENET1_0, num_classes=num_classes, input_shape=input_shape, name="squeezenet1_0",
                      **options)


@register(FAMILY, params=(1_235_496, 1_235_496), macs=349_151_936, paper_params="not in the paper",
          references=[Reference(TORCHVISION, 1_235_496, 1_235_496)],
          note="the authors' v1.1 (repository README): 3x3/64 conv1, pools after conv1, fire3, fire5",
          top1=(58.178, "torchvision IMAGENET1K_V1 (1.1 has no paper)"))
def squeezenet1_1(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> SqueezeNet:
    """SqueezeNet 1.1 (the authors' repository): 3x3 conv1, earlier pools, 2.35x fewer MACs; 1,235,496 params."""
    return SqueezeNet(SQUEEZENET1_1, num_classes=num_classes, input_shape=input_shape, name="squeezenet1_1",
                      **options)


@register(FAMILY, params=(121_754, 123_514), macs=12_468_224, mini=True,
          note="stride-1 stem, fire2-fire5 only, BatchNorm, no dropout: for 28x28 and 32x32")
def squeezenet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), batch_norm: bool = True,
                    dropout: float = 0.0, **options: Any) -> SqueezeNet:
    """SqueezeNet mini: a stride-1 3x3 stem, the paper's fire2-fire5 and BatchNorm; for 32x32 and 28x28."""
    return SqueezeNet(SQUEEZENET_MINI, num_classes=num_classes, input_shape=input_shape, batch_norm=batch_norm,
                      dropout=dropout, name="squeezenet_mini", **options)
