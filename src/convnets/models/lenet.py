"""LeNet-5: LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to
document recognition", Proc. IEEE 1998 (http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf).

Section II-B and Fig. 2 describe the network layer by layer; the code below
follows them and keeps the paper's layer names (C = convolution, S = subsampling,
F = full connection):

    layer  maps          trainable params (Sec. II-B)
    INPUT  1@32x32
    C1     6@28x28       156      5x5 conv
    S2     6@14x14       12       2x2 sum * coefficient + bias, per map
    C3     16@10x10      1,516    5x5 conv, partial connections (Table I)
    S4     16@5x5        32
    C5     120@1x1       48,120   5x5 conv (a full connection at 32x32 input)
    F6     84            10,164
    output 10            850      (see deviations)
                         60,850   = 60,000 for C1..F6, as the paper states, + 850

Deviations from the paper:
  * The output layer is a 10-way linear layer trained with softmax cross-entropy,
    not the paper's 84x10 Euclidean RBF units with hand-set 7x12 bitmap targets and
    the MAP criterion (Sec. II-C). That adds 850 trainable parameters.
  * Inputs are normalised per data set (mean 0, variance 1) rather than to the
    paper's -0.1 background / 1.175 foreground (same intent: mean ~0, variance ~1).
  * Training uses a modern optimiser (see the recipe) rather than the stochastic
    diagonal Levenberg-Marquardt method of Appendix C.

``lenet5_modern`` is the form most courses teach: ReLU, max pooling, full C3
connectivity, 28x28 input with 'same' padding in C1, dense C5. 61,706 parameters.

Both are built from one ``LeNetConfig`` (``LENET5``, ``LENET5_MODERN``). With
``include_top=False`` LeNet-5 ends at C5 (120@1x1, the map F6 connects to) and
the modern form at S4 (16@5x5: its C5 is a full connection, part of the head).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import Conv2D, Dense, Flatten, MaxPool2D, PartialConv2D, Subsampling2D, scaled_tanh, thread_shape
from convnets.layers.base import Layer, Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, register

FAMILY = Family("lenet", "LeNet-5", Paper("LeCun, Bottou, Bengio & Haffner",
                                          "Gradient-Based Learning Applied to Document Recognition", 1998),
                full="lenet5", mini="lenet5_modern",
                problem="hand-engineered features for reading digits",
                idea="learned convolutions, weight sharing and subsampling, trained end to end by backpropagation")

# Table I: which S2 maps (rows 0-5) feed each C3 map (columns 0-15).
# The first six maps take 3 contiguous maps, the next six 4 contiguous, the next
# three 4 non-contiguous, and the last all six (Sec. II-B).
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

# Appendix C: weights uniform in +-2.4/F_in, F_in = fan-in of the unit.
INIT = "lecun1998_uniform"


@dataclass(frozen=True)
class LeNetConfig:
    """The layers of Sec. II-B and Fig. 2 (C = convolution, S = subsampling, F = full connection)."""

    c1: int = 6  # C1: "6 feature maps" of 5x5 convolutions
    c3: int = 16  # C3: "16 feature maps" of 5x5 convolutions
    c3_table: tuple[tuple[int, ...], ...] | None = C3_TABLE  # Table I: the S2 maps each C3 map sees; None: all six
    c5: int = 120  # C5: "120 feature maps" of 5x5 convolutions (the modern form: a 120-unit full connection)
    f6: int = 84  # F6: "84 units"
    kernel: int = 5  # C1, C3, C5: "a 5x5 neighborhood"
    c1_padding: str = "valid"  # C1 unpadded on the 32x32 input ("same": 28x28 digits keep their size)


# Sec. II-B; and the form most courses teach (full C3, 'same' C1 on 28x28), the family's small model.
LENET5 = LeNetConfig()
LENET5_MODERN = LeNetConfig(c3_table=None, c1_padding="same")


def _c3(config: LeNetConfig, w_init: str) -> Layer:
    """C3: Table I's partial connections, or every S2 map (``c3_table=None``)."""
    if config.c3_table is None:
        return Conv2D(config.c1, config.c3, config.kernel, w_init=w_init, name="C3")
    if len(config.c3_table) != config.c3:
        raise ConfigError(f"C3: c3_table lists {len(config.c3_table)} maps, c3 is {config.c3}")
    return PartialConv2D(config.c1, config.c3_table, config.kernel, w_init=w_init, name="C3")


class LeNet5(Model):
    """The 1998 network, C1..F6 as in Sec. II-B, with a softmax output.

    The feature map (``include_top=False``) is C5's squashed output, 120@1x1 at
    32x32: what F6 connects to. The head is F6 and the output layer.
    """

    def __init__(self, config: LeNetConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 1),
                 include_top: bool = True, pooling: str | None = None, name: str = "lenet5"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        k = config.kernel
        self.C1 = Conv2D(input_shape[2], config.c1, k, padding=config.c1_padding, w_init=INIT, name="C1")  # 6@28x28
        self.S2 = Subsampling2D(config.c1, name="S2")  # 6@14x14
        self.C3 = _c3(config, INIT)  # 16@10x10
        self.S4 = Subsampling2D(config.c3, name="S4")  # 16@5x5
        self.C5 = Conv2D(config.c3, config.c5, k, w_init=INIT, name="C5")  # 120@1x1
        self.num_features = config.c5
        self.flatten = Flatten(name="flatten")
        self.F6: Dense | None = None
        self.output: Dense | None = None
        if include_top:
            flat = self.flatten.output_shape(self.feature_shape(input_shape))[0]
            self.F6 = Dense(flat, config.f6, w_init=INIT, name="F6")  # 84
            self.output = Dense(config.f6, num_classes, w_init="glorot_uniform", name="output")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        f = scaled_tanh  # A tanh(S a), A = 1.7159, S = 2/3 (Appendix A)
        for layer in (self.C1, self.S2, self.C3, self.S4, self.C5):
            x = f(layer(x))
        return x  # 120@1x1

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.output(scaled_tanh(self.F6(self.flatten(x))))

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.C1, self.S2, self.C3, self.S4, self.C5), input_shape)


class LeNet5Modern(Model):
    """LeNet-5 as usually taught today: ReLU, max pooling, full connections.

    The feature map (``include_top=False``) is S4's output, 16@5x5 at 28x28: C5
    is a full connection here, so it belongs to the head with F6 and the output.
    """

    def __init__(self, config: LeNetConfig, *, num_classes: int = 10, input_shape: Shape = (28, 28, 1),
                 include_top: bool = True, pooling: str | None = None, name: str = "lenet5_modern"):
        super().__init__(num_classes, input_shape, name=name, include_top=include_top, pooling=pooling)
        k, he = config.kernel, "he_uniform"
        self.C1 = Conv2D(input_shape[2], config.c1, k, padding=config.c1_padding, w_init=he, name="C1")  # 6@28x28
        self.S2 = MaxPool2D(2, name="S2")  # 6@14x14
        self.C3 = _c3(config, he)  # 16@10x10
        self.S4 = MaxPool2D(2, name="S4")  # 16@5x5
        self.num_features = config.c3
        self.flatten = Flatten(name="flatten")  # 400
        self.C5: Dense | None = None
        self.F6: Dense | None = None
        self.output: Dense | None = None
        if include_top:
            flat = self.flatten.output_shape(self.feature_shape(input_shape))[0]
            self.C5 = Dense(flat, config.c5, w_init=he, name="C5")  # 120
            self.F6 = Dense(config.c5, config.f6, w_init=he, name="F6")  # 84
            self.output = Dense(config.f6, num_classes, name="output")

    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.S2(tf.nn.relu(self.C1(x)))
        return self.S4(tf.nn.relu(self.C3(x)))  # 16@5x5

    def forward_head(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = tf.nn.relu(self.C5(self.flatten(x)))
        x = tf.nn.relu(self.F6(x))
        return self.output(x)

    def feature_shape(self, input_shape: Shape) -> Shape:
        return thread_shape((self.C1, self.S2, self.C3, self.S4), input_shape)


@register(FAMILY, params=(60_850, 60_850), macs=328_096, paper_params="60,000 (C1..F6, Sec. II-B)",
          note="+850 for the softmax output that replaces the RBF units")
def lenet5(*, num_classes: int = 10, input_shape: Shape = (32, 32, 1), **options: Any) -> LeNet5:
    """LeNet-5 as in the 1998 paper (Table I C3, trainable subsampling, scaled tanh); 60,850 params."""
    return LeNet5(LENET5, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(61_706, 61_706), macs=416_520)
def lenet5_modern(*, num_classes: int = 10, input_shape: Shape = (28, 28, 1), **options: Any) -> LeNet5Modern:
    """LeNet-5, modern form (ReLU, max pooling, full C3, 'same' C1 on 28x28); 61,706 params."""
    return LeNet5Modern(LENET5_MODERN, num_classes=num_classes, input_shape=input_shape, **options)
