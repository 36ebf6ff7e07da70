"""Network in Network: Lin, Chen & Yan, ICLR 2014 (https://arxiv.org/abs/1312.4400).

An *mlpconv* layer is a convolution followed by a small multilayer perceptron
applied at every position, i.e. 1x1 convolutions (Sec. 3.1, Fig. 2). The last
mlpconv outputs one map per class, and global average pooling replaces the
fully connected classifier (Sec. 3.2).

The paper gives no layer table; the CIFAR-10 network below is the one its
authors released with the paper (Caffe model "NIN on CIFAR-10"), which Sec. 4.2
describes: three mlpconv layers, max pooling and dropout 0.5 between them.

    block     conv            1x1       1x1      then
    mlpconv1  192 5x5, pad 2  160       96       max pool 3/2, dropout 0.5
    mlpconv2  192 5x5, pad 2  192       192      avg pool 3/2, dropout 0.5
    mlpconv3  192 3x3, pad 1  192       10       global average pool

Exact count at 32x32x3, 10 classes: 966,986 parameters; 222.5 M MACs. The paper
reports no parameter count (10.41% CIFAR-10 error without augmentation, 8.81% with).

Deviations from the released net: He-normal initialisation; otherwise none in
what it computes. Its 3x3/2 pools use Caffe's ceil mode (no padding, out =
ceil((in - 3) / 2) + 1: the last window runs past the bottom/right edge); here
they are written as TensorFlow's 'same' (out = ceil(in / 2), the extra pixel at
the bottom/right). The two are the same pooling only on even sizes, which NiN's
are: 32 -> 16 -> 8 (28 -> 14 -> 7 on Fashion-MNIST) gives the same maps from the
same windows, the max ignoring the missing pixel and the average dividing by the
pixels inside the image, in Caffe as with 'same'. On odd sizes 'same' gives one
more row and column (SqueezeNet 1.0's max pools at 224: 55/28/14 against Caffe's
54/27/13, which explicit ((0, 1), (0, 1)) pads reproduce): see
src/convnets/layers/padding.py.

``include_top=False`` returns the map the last mlpconv takes (pool2's output,
8x8x192 at 32x32): that mlpconv ends in one map per class, so it is the head.

``nin_mini`` keeps about a third of every width (64/48/32 for 192/160/96,
64/64/64, 64/64/classes) for CPU training: 110,874 parameters, 27.5 M MACs at
32x32, and dropout 0.25 instead of 0.5. (A first mini with a quarter of every
width and the paper's dropout 0.5, 63,770 parameters, underfitted Fashion-MNIST:
89.3% training and 89.8% test accuracy after 10 epochs.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.layers import AvgPool2D, Conv2D, Dropout, GlobalAvgPool, MaxPool2D, thread_shape
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, register

FAMILY = Family("nin", "Network in Network", Paper("Lin, Chen & Yan", "Network In Network", 2013, "1312.4400"),
                full="nin", mini="nin_mini",
                problem="a convolution is a linear filter: too weak a local model",
                idea="1x1 convolutions (mlpconv) and global average pooling instead of big fully connected layers")


@dataclass(frozen=True)
class NiNConfig:
    """The three mlpconv layers (Sec. 3.1) of the released CIFAR-10 net; its Caffe layer names in quotes."""

    conv: tuple[int, int, int]  # each mlpconv's spatial convolution: filters ("conv1", "conv2", "conv3")
    kernel: tuple[int, int, int]  # their sizes, padded to keep the map's size: 5x5 pad 2, 5x5 pad 2, 3x3 pad 1
    cccp1: tuple[int, int, int]  # each mlpconv's first 1x1 ("cccp1", "cccp3", "cccp5")
    cccp2: tuple[int, int]  # the second 1x1 of mlpconv1, mlpconv2 ("cccp2", "cccp4"); mlpconv3's has one map per class


# The released CIFAR-10 net; and the mini, about a third of every width.
NIN = NiNConfig(conv=(192, 192, 192), kernel=(5, 5, 3), cccp1=(160, 192, 192), cccp2=(96, 192))
NIN_MINI = NiNConfig(conv=(64, 64, 64), kernel=(5, 5, 3), cccp1=(48, 64, 64), cccp2=(32, 64))


class MLPConv(Block):
    """A kxk convolution and two 1x1 convolutions, each followed by ReLU (Sec. 3.1)."""

    def __init__(self, in_channels: int, conv: int, kernel: int, mlp1: int, mlp2: int, final_relu: bool = True,
                 name: str | None = None):
        super().__init__(name=name)
        self.conv = Conv2D(in_channels, conv, kernel, padding=kernel // 2, w_init="he_normal", name="conv")
        self.cccp1 = Conv2D(conv, mlp1, 1, w_init="he_normal", name="cccp1")
        self.cccp2 = Conv2D(mlp1, mlp2, 1, w_init="he_normal", name="cccp2")
        self.final_relu = final_relu

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = tf.nn.relu(self.conv(x))
        x = tf.nn.relu(self.cccp1(x))
        x = self.cccp2(x)
        return tf.nn.relu(x) if self.final_relu else x

    def output_shape(self, input_shape: Shape) -> Shape:
        h, w, _ = self.conv.output_shape(input_shape)
        return (h, w, self.cccp2.out_channels)


class NiN(Model):
    """Three mlpconv layers, pooling and dropout between them, and global average pooling of per-class maps.

    The feature map (``include_top=False``) is the one the last mlpconv takes:
    pool2's output, 8x8x192 at 32x32 (before drop2). That last mlpconv ends in
    one map per class, so it is the classifier: the head is drop2, mlpconv3 and
    the global average pool. Option: ``dropout`` (0.5 after pool1 and pool2).
    """

    def __init__(self, config: NiNConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.5, name: str = "nin"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        (c1, c2, c3), (k1, k2, k3), (a1, a2, a3), (b1, b2) = config.conv, config.kernel, config.cccp1, config.cccp2
        self.mlpconv1 = MLPConv(input_shape[2], c1, k1, a1, b1, name="mlpconv1")
        # 3x3/2 pools written as 'same': the released net's Caffe (ceil-mode) pools on these even sizes (see the
        # module docstring and convnets/layers/padding.py).
        self.pool1 = MaxPool2D(3, 2, padding="same", name="pool1")
        self.drop1 = Dropout(dropout, name="drop1")
        self.mlpconv2 = MLPConv(b1, c2, k2, a2, b2, name="mlpconv2")
        self.pool2 = AvgPool2D(3, 2, padding="same", name="pool2")
        self.num_features = b2
        self.drop2 = Dropout(dropout, name="drop2")
        # The last 1x1 layer has one map per class; its ReLU is dropped so the maps are logits.
        self.mlpconv3 = (MLPConv(b2, c3, k3, a3, num_classes, final_relu=False, name="mlpconv3")
                         if include_top else None)
        self.gap = GlobalAvgPool(name="gap")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.drop1(self.pool1(self.mlpconv1(x)), training=training)  # 16x16
        return self.pool2(self.mlpconv2(x))  # 8x8

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.drop2(x, training=training)
        return self.gap(self.mlpconv3(x))  # one average per class map

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.mlpconv1, self.pool1, self.mlpconv2, self.pool2), input_shape)


@register(FAMILY, params=(966_986, 966_986), macs=222_486_528, paper_params="not given",
          note="the authors' released CIFAR-10 net")
def nin(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> NiN:
    """Network in Network for CIFAR-10 (the authors' released net); 966,986 params."""
    return NiN(NIN, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(110_874, 110_874), macs=27_500_544, mini=True)
def nin_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), dropout: float = 0.25,
             **options: Any) -> NiN:
    """Network in Network mini: about a third of every width, dropout 0.25; for 32x32."""
    return NiN(NIN_MINI, num_classes=num_classes, input_shape=input_shape, dropout=dropout, name="nin_mini",
               **options)
