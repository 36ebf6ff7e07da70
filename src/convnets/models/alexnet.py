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
"one weird trick" network (Krizhevsky 2014, arXiv:1404.5997): 64-192-384-256-256
filters in one tower, conv1 padded by 2, no LRN, dropout before fc6 and fc7 rather
than after them; 61,100,840 parameters and 714.2 M MACs at 224x224.
``alexnet(variant="torchvision")`` builds it (``TORCHVISION_ALEXNET``), so
``convnets.from_torch`` can load torchvision's weights.

``alexnet_mini`` keeps ReLU, LRN, overlapping pooling, two-group convolutions and
dropout for 32x32 images: conv1 is 5x5 stride 1 with 32 filters, the widths are
about a quarter (32-64-96-96-64), and the FC layers have 256 units; He
initialisation replaces N(0, 0.01) so the small net starts learning at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import Conv2D, Dense, Dropout, Flatten, LocalResponseNorm, MaxPool2D, init, thread_shape
from convnets.layers.base import Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, register

FAMILY = Family("alexnet", "AlexNet", Paper("Krizhevsky, Sutskever & Hinton",
                                            "ImageNet Classification with Deep Convolutional Neural Networks", 2012),
                full="alexnet", mini="alexnet_mini",
                problem="could a deep net win at ImageNet scale?",
                idea="ReLU, dropout, data augmentation and GPUs: depth that trains")


@dataclass(frozen=True)
class AlexNetConfig:
    """Sec. 3.5 and Fig. 2: five convolutional and three fully connected layers."""

    widths: tuple[int, int, int, int, int]  # kernels of conv1..conv5: "96", "256", "384", "384", "256" (Sec. 3.5)
    conv1_kernel: int = 11  # conv1: "kernels of size 11x11x3"
    conv1_stride: int = 4  # conv1: "a stride of 4 pixels"
    conv1_padding: int = 0  # conv1: none (a 227x227 input gives the paper's 55x55)
    fc_width: int = 4096  # fc6, fc7: "4096 neurons each"
    paper_init: bool = True  # Sec. 5: weights N(0, 0.01), biases 1 in conv2, conv4, conv5, fc6, fc7; False: He normal
    lrn: bool = True  # Sec. 3.3's local response normalisation after conv1 and conv2 ("one weird trick": none)
    groups: int = 2  # Sec. 3.5's two GPU towers in conv2, conv4, conv5 (one tower: 1)
    dropout_before_fc: bool = False  # torchvision drops fc6's and fc7's inputs; the paper fc6's and fc7's outputs


# Sec. 3.5; and the mini for 32x32 images (5x5/1 conv1, about a quarter of the widths, FC-256, He initialisation).
ALEXNET = AlexNetConfig((96, 256, 384, 384, 256))
# torchvision's alexnet: "one weird trick" (arXiv:1404.5997, Sec. 3) as torchvision builds it, for 224x224.
TORCHVISION_ALEXNET = AlexNetConfig((64, 192, 384, 256, 256), conv1_padding=2, paper_init=False, lrn=False,
                                    groups=1, dropout_before_fc=True)
ALEXNET_MINI = AlexNetConfig((32, 64, 96, 96, 64), conv1_kernel=5, conv1_stride=1, conv1_padding=2, fc_width=256,
                             paper_init=False)


class AlexNet(Model):
    """Five convolutions (conv2, conv4, conv5 in two groups), LRN, overlapping pooling, three FC layers.

    Options: ``groups`` (the config's by default: 2, the paper's two GPU towers; 1: one tower),
    ``dropout`` (0.5 in fc6 and fc7, Sec. 4.2). The feature map (``include_top=False``) is
    pool5's output, 6x6x256 at 227x227; the head is fc6, fc7 and fc8.
    """

    def __init__(self, config: AlexNetConfig, *, num_classes: int = 1000, input_shape: Shape = (227, 227, 3),
                 include_top: bool = True, pooling: str | None = None, groups: int | None = None,
                 dropout: float = 0.5, name: str = "alexnet"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        w_init = init.normal(0.01) if config.paper_init else "he_normal"
        one = init.constant(1.0) if config.paper_init else "zeros"  # Sec. 5: bias 1 speeds early learning with ReLU
        c1, c2, c3, c4, c5 = config.widths
        groups = config.groups if groups is None else groups
        self.config_ = config
        self.conv1 = Conv2D(input_shape[2], c1, config.conv1_kernel, config.conv1_stride, config.conv1_padding,
                            w_init=w_init, name="conv1")
        self.norm1 = LocalResponseNorm(name="norm1") if config.lrn else None
        self.pool1 = MaxPool2D(3, 2, name="pool1")
        self.conv2 = Conv2D(c1, c2, 5, 1, 2, groups=groups, w_init=w_init, b_init=one, name="conv2")
        self.norm2 = LocalResponseNorm(name="norm2") if config.lrn else None
        self.pool2 = MaxPool2D(3, 2, name="pool2")
        self.conv3 = Conv2D(c2, c3, 3, 1, 1, w_init=w_init, name="conv3")
        self.conv4 = Conv2D(c3, c4, 3, 1, 1, groups=groups, w_init=w_init, b_init=one, name="conv4")
        self.conv5 = Conv2D(c4, c5, 3, 1, 1, groups=groups, w_init=w_init, b_init=one, name="conv5")
        self.pool5 = MaxPool2D(3, 2, name="pool5")
        self.num_features = c5
        self.flatten = Flatten(name="flatten")
        self.drop6 = Dropout(dropout, name="drop6")
        self.drop7 = Dropout(dropout, name="drop7")
        self.fc6: Dense | None = None
        self.fc7: Dense | None = None
        self.fc8: Dense | None = None
        if include_top:
            flat = self.flatten.output_shape(self.feature_shape(input_shape))[0]
            self.fc6 = Dense(flat, config.fc_width, w_init=w_init, b_init=one, name="fc6")
            self.fc7 = Dense(config.fc_width, config.fc_width, w_init=w_init, b_init=one, name="fc7")
            self.fc8 = Dense(config.fc_width, num_classes, w_init=w_init, name="fc8")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        relu = tf.nn.relu
        x = relu(self.conv1(x))
        x = self.pool1(x if self.norm1 is None else self.norm1(x))  # 27x27x96
        x = relu(self.conv2(x))
        x = self.pool2(x if self.norm2 is None else self.norm2(x))  # 13x13x256
        x = relu(self.conv3(x))
        x = relu(self.conv4(x))
        return self.pool5(relu(self.conv5(x)))  # 6x6x256

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        relu, t = tf.nn.relu, training
        if self.config_.dropout_before_fc:  # torchvision: Dropout, fc6, ReLU, Dropout, fc7, ReLU, fc8
            x = relu(self.fc6(self.drop6(self.flatten(x), training=t)))
            return self.fc8(relu(self.fc7(self.drop7(x, training=t))))
        x = self.drop6(relu(self.fc6(self.flatten(x))), training=t)
        x = self.drop7(relu(self.fc7(x)), training=t)
        return self.fc8(x)

    def feature_shape(self, input_shape: Shape) -> Shape:
        layers = (self.conv1, self.pool1, self.conv2, self.pool2, self.conv3, self.conv4, self.conv5, self.pool5)
        return thread_shape(layers, input_shape)


@register(FAMILY, params=(60_965_224, 60_965_224), macs=724_406_816, paper_params="60 million (abstract)",
          note="two groups as in Sec. 3.5; 62,378,344 as one tower",
          top1=(59.3, "paper Table 2, one CNN (the paper averages 10 patches)"))
def alexnet(*, num_classes: int = 1000, input_shape: Shape = (227, 227, 3), variant: str = "paper",
            **options: Any) -> AlexNet:
    """AlexNet (2012) with the paper's two groups; 60,965,224 params (62,378,344 with groups=1).

    ``variant="torchvision"``: torchvision's one-tower "one weird trick" network (61,100,840 params
    at 224x224, the input its weights take)."""
    configs = {"paper": ALEXNET, "torchvision": TORCHVISION_ALEXNET}
    if variant not in configs:
        raise ConfigError(f"alexnet: variant must be 'paper' or 'torchvision', got {variant!r}")
    return AlexNet(configs[variant], num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(368_842, 368_842), macs=14_529_536, mini=True)
def alexnet_mini(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> AlexNet:
    """AlexNet mini: 5x5/1 conv1, widths 32-64-96-96-64, FC-256, LRN, 3/2 pooling, groups; for 32x32."""
    return AlexNet(ALEXNET_MINI, num_classes=num_classes, input_shape=input_shape, name="alexnet_mini", **options)
