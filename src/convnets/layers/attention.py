"""Channel attention: the squeeze-and-excitation block (Hu, Shen & Sun 2017,
"Squeeze-and-Excitation Networks", https://arxiv.org/abs/1709.01507)."""

from __future__ import annotations

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import activations
from convnets.layers.base import Block, Shape
from convnets.layers.dense import Dense
from convnets.layers.pool import GlobalAvgPool


class SqueezeExcite(Block):
    """``x * sigmoid(fc2(relu(fc1(mean(x)))))``: each channel rescaled by a gate computed from all of them.

    *Squeeze* (Sec. 3.1): a global average pool gives one number per channel.
    *Excitation* (Sec. 3.2): a bottleneck of two fully connected layers, C -> C/r
    (ReLU) -> C (sigmoid), gives each channel a weight in (0, 1) by which its map
    is multiplied. In SE-ResNet the block sits on a residual branch, before the
    addition (Fig. 3).

    Parameters: ``C*h + h + h*C + C`` for ``h = max(1, round(C / reduction))``
    hidden units (both layers have biases, as the paper's and timm's). MACs: the
    two layers' ``2*C*h``; the pool and the channel-wise multiply are not counted,
    as pooling and activations are not (timm's and torchvision's convention).
    ``reduction`` is r, 16 in the paper (Sec. 6.1, Table 10).
    """

    def __init__(self, channels: int, reduction: int = 16, name: str | None = None, hidden: int | None = None,
                 gate: str = "sigmoid", act: str = "relu"):
        super().__init__(name=name)
        if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 1:
            raise ConfigError(f"{self.name}: reduction must be a positive int (16 in the paper), got {reduction!r}")
        self.channels, self.reduction = channels, reduction
        # ``hidden`` overrides C/r (MobileNet v3 rounds C/4 to a multiple of 8); ``gate`` is "sigmoid" or
        # MobileNet v3's "hard_sigmoid"; ``act`` the bottleneck's (EfficientNet's is swish).
        self.hidden = hidden if hidden is not None else max(1, round(channels / reduction))
        self.squeeze = GlobalAvgPool(name="squeeze")
        self.fc1 = Dense(channels, self.hidden, w_init="he_normal", name="fc1")
        self.fc2 = Dense(self.hidden, channels, name="fc2")
        self.act, self.gate = activations.get(act), activations.get(gate)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        s = self.squeeze(x)  # (N, C)
        gate = self.gate(self.fc2(self.act(self.fc1(s))))
        return x * gate[:, None, None, :]

    def output_shape(self, input_shape: Shape) -> Shape:
        if input_shape[-1] != self.channels:
            raise ConfigError(f"{self.name}: expected {self.channels} channels, got {input_shape[-1]}")
        return tuple(input_shape)

    def macs(self, input_shape: Shape) -> int:
        """The two fully connected layers' multiply-accumulates (``summary`` counts them from the leaves)."""
        self.output_shape(input_shape)
        return 2 * self.channels * self.hidden
