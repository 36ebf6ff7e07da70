"""AlexNet: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep
Convolutional Neural Networks", NeurIPS 2012.

Section 3.5 and Figure 2: five convolutional and three fully connected layers.

    layer  filters  kernel/stride   output (227x227 input)  notes
    conv1  96       11x11 / 4       55x55x96                ReLU, LRN, max pool 3/2 -> 27x27
    conv2  256      5x5, pad 2      27x27x256   2 groups    ReLU, LRN, max pool 3/2 -> 13x13
    conv3  384      3x3, pad 1      13x13x384   all maps    ReLU
    conv4  384      3x3, pad 1      13x13x384   2 groups    ReLU
    conv5  256      3x3, pad 1      13x13x256   2 groups    ReLU, max pool 3/2 -> 6x6
    fc6    4096                                 dropout 0.5
    fc7    4096                                 dropout 0.5
    fc8    1000

"The kernels of the second, fourth, and fifth convolutional layers are connected
only to those kernel maps in the previous layer which reside on the same GPU"
(Sec. 3.5): ``groups=2`` (the default). LRN: k=2, n=5, alpha=1e-4, beta=0.75
(Sec. 3.3); overlapping pooling 3x3 with stride 2 (Sec. 3.4). Initialisation
N(0, 0.01), biases 1 in conv2, conv4, conv5 and the hidden FC layers, 0
elsewhere (Sec. 5).

Exact counts at 227x227, 1000 classes: 60,965,224 parameters with the two
groups (the paper's "60 million"), 62,378,344 as one tower (``groups=1``);
724.4 M and 1.135 G MACs. The paper's 224x224 input does not divide out
(see cs231n's note); 227 makes conv1's output the paper's 55x55.

Deviations: none in the architecture. torchvision's AlexNet is the different
"one weird trick" network (64-192-384-256-256, no LRN, 61,100,840 parameters).

``alexnet_mini`` keeps ReLU, LRN, overlapping pooling, two-group convolutions and
dropout for 32x32 images: conv1 is 5x5 stride 1 with 32 filters, the widths are
about a quarter (32-64-96-96-64), and the FC layers have 256 units; He
initialisation replaces N(0, 0.01) so the small net starts learning at once.
"""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import Conv2D, Dense, Dropout, Flatten, LocalResponseNorm, MaxPool2D, init
from convnets.layers.base import Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("alexnet", "AlexNet", Paper("Krizhevsky, Sutskever & Hinton", "ImageNet Classification with Deep Convolutional Neural Networks", 2012), full="alexnet", mini="alexnet_mini")


class AlexNet(Model):
    """Five convolutions (conv2, conv4, conv5 in two groups), LRN, overlapping pooling, three FC layers."""

    def __init__(self, widths: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256), fc_width: int = 4096,
                 num_classes: int = 1000, input_shape: Shape = (227, 227, 3), groups: int = 2,
                 conv1: tuple[int, int, int] = (11, 4, 0), dropout: float = 0.5, paper_init: bool = True,
                 name: str = "alexnet"):
        super().__init__(num_classes, input_shape, name=name)
        w_init = init.normal(0.01) if paper_init else "he_normal"
        one = init.constant(1.0) if paper_init else "zeros"  # Sec. 5: bias 1 speeds early learning with ReLU
        c1, c2, c3, c4, c5 = widths
        k1, s1, p1 = conv1
        self.conv1 = Conv2D(input_shape[2], c1, k1, s1, p1, w_init=w_init, name="conv1")
        self.norm1 = LocalResponseNorm(name="norm1")
        self.pool1 = MaxPool2D(3, 2, name="pool1")
        self.conv2 = Conv2D(c1, c2, 5, 1, 2, groups=groups, w_init=w_init, b_init=one, name="conv2")
        self.norm2 = LocalResponseNorm(name="norm2")
        self.pool2 = MaxPool2D(3, 2, name="pool2")
        self.conv3 = Conv2D(c2, c3, 3, 1, 1, w_init=w_init, name="conv3")
        self.conv4 = Conv2D(c3, c4, 3, 1, 1, groups=groups, w_init=w_init, b_init=one, name="conv4")
        self.conv5 = Conv2D(c4, c5, 3, 1, 1, groups=groups, w_init=w_init, b_init=one, name="conv5")
        self.pool5 = MaxPool2D(3, 2, name="pool5")
        self.flatten = Flatten(name="flatten")
        shape = tuple(input_shape)
        for layer in (self.conv1, self.pool1, self.conv2, self.pool2, self.conv3, self.conv4, self.conv5, self.pool5, self.flatten):
            shape = layer.output_shape(shape)
        self.fc6 = Dense(shape[0], fc_width, w_init=w_init, b_init=one, name="fc6")
        self.drop6 = Dropout(dropout, name="drop6")
        self.fc7 = Dense(fc_width, fc_width, w_init=w_init, b_init=one, name="fc7")
        self.drop7 = Dropout(dropout, name="drop7")
        self.fc8 = Dense(fc_width, num_classes, w_init=w_init, name="fc8")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        relu = tf.nn.relu
        x = self.pool1(self.norm1(relu(self.conv1(x))))  # 27x27x96
        x = self.pool2(self.norm2(relu(self.conv2(x))))  # 13x13x256
        x = relu(self.conv3(x))
        x = relu(self.conv4(x))
        x = self.pool5(relu(self.conv5(x)))  # 6x6x256
        x = self.drop6(relu(self.fc6(self.flatten(x))), training=training)
        x = self.drop7(relu(self.fc7(x)), training=training)
        return self.fc8(x)


@register(FAMILY, params=(60_965_224, 60_965_224), macs=724_406_816, paper_params='60 million (abstract)', note='two groups as in Sec. 3.5; 62,378,344 as one tower')
def alexnet(*, num_classes: int = 1000, input_shape: Shape = (227, 227, 3), groups: int = 2, dropout: float = 0.5) -> Model:
    """AlexNet (2012) with the paper's two groups; 60,965,224 params (62,378,344 with groups=1)."""
    return AlexNet(num_classes=num_classes, input_shape=input_shape, groups=groups, dropout=dropout)


@register(FAMILY, params=(368_842, 368_842), macs=14_529_536, mini=True)
def alexnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), groups: int = 2, dropout: float = 0.5) -> Model:
    """AlexNet mini: 5x5/1 conv1, widths 32-64-96-96-64, FC-256, LRN, 3/2 pooling, groups; for 32x32."""
    return AlexNet((32, 64, 96, 96, 64), 256, num_classes, input_shape, groups, (5, 1, 2), dropout,
                   paper_init=False, name="alexnet_mini")
