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
"""

from __future__ import annotations

import tensorflow as tf

from convnets.layers import Conv2D, Dense, Flatten, MaxPool2D, PartialConv2D, Subsampling2D, scaled_tanh
from convnets.layers.base import Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register

FAMILY = Family("lenet", "LeNet-5", Paper("LeCun, Bottou, Bengio & Haffner", "Gradient-Based Learning Applied to Document Recognition", 1998), full="lenet5", mini="lenet5_modern")

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


class LeNet5(Model):
    """The 1998 network, C1..F6 as in Sec. II-B, with a softmax output."""

    def __init__(self, num_classes: int = 10, input_shape: Shape = (32, 32, 1)):
        super().__init__(num_classes, input_shape, name="lenet5")
        h, w, c = input_shape
        self.C1 = Conv2D(c, 6, 5, w_init=INIT, name="C1")  # 6@28x28
        self.S2 = Subsampling2D(6, name="S2")  # 6@14x14
        self.C3 = PartialConv2D(6, C3_TABLE, 5, w_init=INIT, name="C3")  # 16@10x10
        self.S4 = Subsampling2D(16, name="S4")  # 16@5x5
        self.C5 = Conv2D(16, 120, 5, w_init=INIT, name="C5")  # 120@1x1
        self.flatten = Flatten(name="flatten")
        shape = input_shape
        for layer in (self.C1, self.S2, self.C3, self.S4, self.C5, self.flatten):
            shape = layer.output_shape(shape)
        self.F6 = Dense(shape[0], 84, w_init=INIT, name="F6")  # 84
        self.output = Dense(84, num_classes, w_init="glorot_uniform", name="output")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        f = scaled_tanh  # A tanh(S a), A = 1.7159, S = 2/3 (Appendix A)
        x = f(self.C1(x))
        x = f(self.S2(x))
        x = f(self.C3(x))
        x = f(self.S4(x))
        x = f(self.C5(x))
        x = f(self.F6(self.flatten(x)))
        return self.output(x)


class LeNet5Modern(Model):
    """LeNet-5 as usually taught today: ReLU, max pooling, full connections."""

    def __init__(self, num_classes: int = 10, input_shape: Shape = (28, 28, 1)):
        super().__init__(num_classes, input_shape, name="lenet5_modern")
        h, w, c = input_shape
        self.C1 = Conv2D(c, 6, 5, padding="same", w_init="he_uniform", name="C1")  # 6@28x28
        self.S2 = MaxPool2D(2, name="S2")  # 6@14x14
        self.C3 = Conv2D(6, 16, 5, w_init="he_uniform", name="C3")  # 16@10x10
        self.S4 = MaxPool2D(2, name="S4")  # 16@5x5
        self.flatten = Flatten(name="flatten")  # 400
        shape = input_shape
        for layer in (self.C1, self.S2, self.C3, self.S4, self.flatten):
            shape = layer.output_shape(shape)
        self.C5 = Dense(shape[0], 120, w_init="he_uniform", name="C5")  # 120
        self.F6 = Dense(120, 84, w_init="he_uniform", name="F6")  # 84
        self.output = Dense(84, num_classes, name="output")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        x = self.S2(tf.nn.relu(self.C1(x)))
        x = self.S4(tf.nn.relu(self.C3(x)))
        x = tf.nn.relu(self.C5(self.flatten(x)))
        x = tf.nn.relu(self.F6(x))
        return self.output(x)


@register(FAMILY, params=(60_850, 60_850), macs=328_096, paper_params='60,000 (C1..F6, Sec. II-B)', note='+850 for the softmax output that replaces the RBF units')
def lenet5(*, num_classes: int = 10, input_shape: Shape = (32, 32, 1)) -> Model:
    """LeNet-5 as in the 1998 paper (Table I C3, trainable subsampling, scaled tanh); 60,850 params."""
    return LeNet5(num_classes, input_shape)


@register(FAMILY, params=(61_706, 61_706), macs=416_520)
def lenet5_modern(*, num_classes: int = 10, input_shape: Shape = (28, 28, 1)) -> Model:
    """LeNet-5, modern form (ReLU, max pooling, full C3, 'same' C1 on 28x28); 61,706 params."""
    return LeNet5Modern(num_classes, input_shape)
