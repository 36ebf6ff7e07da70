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

Deviations from the paper: the released net pads pools Caffe-style (ceil);
"same" pooling here gives the same 16x16 and 8x8 maps.

``nin_mini`` keeps a third of the spatial convolutions' widths and a quarter to a
third of the 1x1s (64/48/32, 64/64/64, 64/64/classes) for CPU training: 110,874
parameters, 27.5 M MACs at 32x32, and dropout 0.25 instead of 0.5. (A first mini
with a quarter of every width and the paper's dropout 0.5, 63,770 parameters,
underfitted Fashion-MNIST: 89.3% training and 89.8% test accuracy after 10 epochs.)
"""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import AvgPool2D, Conv2D, Dropout, GlobalAvgPool, MaxPool2D
from convnets.layers.base import Block, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("nin", "Network in Network", Paper("Lin, Chen & Yan", "Network In Network", 2013, "1312.4400"), full="nin", mini="nin_mini")

# (conv filters, kernel, 1x1 filters, 1x1 filters) per mlpconv layer; None = num_classes.
CIFAR_CONFIG = ((192, 5, 160, 96), (192, 5, 192, 192), (192, 3, 192, None))
MINI_CONFIG = ((64, 5, 48, 32), (64, 5, 64, 64), (64, 3, 64, None))


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
    def __init__(self, config=CIFAR_CONFIG, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 dropout: float = 0.5, name: str = "nin"):
        super().__init__(num_classes, input_shape, name=name)
        (c1, k1, a1, b1), (c2, k2, a2, b2), (c3, k3, a3, _) = config
        self.mlpconv1 = MLPConv(input_shape[2], c1, k1, a1, b1, name="mlpconv1")
        self.pool1 = MaxPool2D(3, 2, padding="same", name="pool1")
        self.drop1 = Dropout(dropout, name="drop1")
        self.mlpconv2 = MLPConv(b1, c2, k2, a2, b2, name="mlpconv2")
        self.pool2 = AvgPool2D(3, 2, padding="same", name="pool2")
        self.drop2 = Dropout(dropout, name="drop2")
        # The last 1x1 layer has one map per class; its ReLU is dropped so the maps are logits.
        self.mlpconv3 = MLPConv(b2, c3, k3, a3, num_classes, final_relu=False, name="mlpconv3")
        self.gap = GlobalAvgPool(name="gap")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.drop1(self.pool1(self.mlpconv1(x)), training=training)  # 16x16
        x = self.drop2(self.pool2(self.mlpconv2(x)), training=training)  # 8x8
        return self.gap(self.mlpconv3(x))  # one average per class map


@register(FAMILY, params=(966_986, 966_986), macs=222_486_528, paper_params='not given', note="the authors' released CIFAR-10 net")
def nin(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), dropout: float = 0.5) -> Model:
    """Network in Network for CIFAR-10 (the authors' released net); 966,986 params."""
    return NiN(CIFAR_CONFIG, num_classes, input_shape, dropout)


@register(FAMILY, params=(110_874, 110_874), macs=27_500_544, mini=True)
def nin_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), dropout: float = 0.25) -> Model:
    """Network in Network mini: a third of the spatial filters, a quarter to a third of the 1x1s; for 32x32."""
    return NiN(MINI_CONFIG, num_classes, input_shape, dropout, name="nin_mini")
