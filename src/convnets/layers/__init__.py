"""Low-level layers: ``tf.Module`` + ``tf.Variable`` + ``tf.nn``."""

from convnets import import_tensorflow

import_tensorflow()  # once, quietly, before any module below imports it

from convnets.layers import init
from convnets.layers.activations import Activation, scaled_tanh
from convnets.layers.attention import SqueezeExcite
from convnets.layers.base import (
    Block,
    Lambda,
    Layer,
    Sequential,
    count_params,
    layer_outputs,
    record_layers,
    thread_shape,
)
from convnets.layers.composite import ConvBN
from convnets.layers.conv import Conv2D, DepthwiseConv2D, PartialConv2D, SeparableConv2D
from convnets.layers.dense import Dense, Flatten
from convnets.layers.dropout import Dropout, DropPath
from convnets.layers.norm import BatchNorm, LayerNorm, LayerScale, LocalResponseNorm, Normalization, Rescaling
from convnets.layers.pool import AvgPool2D, GlobalAvgPool, GlobalMaxPool, MaxPool2D, Subsampling2D

__all__ = [
    "Activation", "AvgPool2D", "BatchNorm", "Block", "Conv2D", "ConvBN", "Dense", "DepthwiseConv2D",
    "DropPath", "Dropout", "Flatten", "GlobalAvgPool", "GlobalMaxPool", "Lambda", "Layer",
    "LayerNorm", "LayerScale", "LocalResponseNorm", "MaxPool2D", "PartialConv2D", "SeparableConv2D", "Sequential", "SqueezeExcite",
    "Normalization", "Rescaling", "Subsampling2D",
    "count_params", "init", "layer_outputs", "record_layers", "scaled_tanh", "thread_shape",
]
