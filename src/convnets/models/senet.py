"""Squeeze-and-Excitation networks: Hu, Shen & Sun, "Squeeze-and-Excitation
Networks", CVPR 2018 (https://arxiv.org/abs/1709.01507; the TPAMI version's tables).

An SE block (``layers.SqueezeExcite``, Sec. 3, Fig. 1) recalibrates a block's
channels: *squeeze* each map to its mean, *excite* through a bottleneck of two
fully connected layers (C -> C/r, ReLU, -> C, sigmoid) and multiply each map by
its gate. In SE-ResNet and SE-ResNeXt the block sits on the residual branch,
after the last BatchNorm and before the addition (Fig. 3), with r = 16. It adds
~10% parameters (2,530,992 to ResNet-50) and 0.06% MACs, and took ILSVRC 2017.

Table 2 (single 224x224 crop), the rows built here:

    network        re-implemented        SE version
                   top-1/top-5   GFLOPs  top-1/top-5   GFLOPs
    ResNet-50      24.80 / 7.48  3.86    23.29 / 6.62  3.87
    ResNeXt-50     22.11 / 5.90  4.24    21.10 / 5.49  4.25

Both are built on ResNeXt's bottleneck (resnext.py, with ``se_reduction``):
one path of width 64 is ResNet-50's bottleneck, 32 paths of 4 are ResNeXt-50's.

Exact counts (1000 classes, 224x224; trainable / total with BN statistics):

    seresnet50          28,088,024 / 28,141,144   timm seresnet50 28,088,024;   4,091,699,200 MACs, timm's exactly
      stride_in_1x1=True                          timm legacy_seresnet50;       3,860,488,192 MACs, timm's exactly
    seresnext50_32x4d   27,559,896 / 27,628,120   timm seresnext50_32x4d;       4,232,994,816 MACs, timm's exactly
    se_resnet20            278,206 / 279,582 (the mini, 10 classes, 32x32)

The paper's SE-ResNet-50 (3.87 GFLOPs, "~2.5 million additional parameters
beyond the ~25 million") subsamples in each stage's first 1x1, as the original
ResNet and the released Caffe models: that is ``stride_in_1x1=True``, timm's
``legacy_seresnet50``, 3.860 G (0.3% from 3.87). The default is timm's
``seresnet50`` and torchvision's ResNet-50 "v1.5", the stride in the 3x3: the
same parameters, 4.092 G (5.7% above the paper's figure; the registry records
that tolerance). SE-ResNeXt-50 strides in the 3x3 in both (4.233 G against the
paper's 4.25). SE's two layers have biases and r = 16 leaves C/16 hidden units
at these widths (256 .. 2048), as timm's (1x1 convolutions there, fully
connected layers here: the same weights). No other difference from the paper
or timm in the architecture; Keras and torchvision have no SENet.

``se_resnet20`` (the mini) is the CIFAR ResNet-20 of resnet.py (option A
shortcuts) with an SE block on every basic block's residual, with r = 4: the
paper's 16 would leave 1, 2 and 4 hidden units on the 16, 32 and 64 channels.
8,484 parameters more than ``resnet20`` (278,206): train it beside ResNet-20 and
the pre-activation ResNet-20. The paper's CIFAR results (Tables 4-5: ResNet-164
5.46% -> 4.39% error on CIFAR-10) come from SE on deeper CIFAR networks. The SE
blocks cost 0.02% of the MACs (a pool and two tiny dense layers per block), so
the mini trains at ResNet-20's speed and meets the 10-minute budget on
Fashion-MNIST with the 5-epoch fast recipe: measured 92.68% in 394 s of training
on 2 cores (seed 0; docs/results.md).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from convnets.errors import ConfigError
from convnets.layers import ConvBN, Dense, GlobalAvgPool
from convnets.layers.attention import SqueezeExcite
from convnets.layers.base import Shape
from convnets.models.base import Model
from convnets.models.registry import Family, Paper, Reference, register
from convnets.models.resnet import RESNET20, BasicBlock, CifarResNet, CifarResNetConfig
from convnets.models.resnext import RESNEXT50_32X4D, ResNeXt, ResNeXtConfig

FAMILY = Family("senet", "Squeeze-and-Excitation (SENet)",
                Paper("Hu, Shen & Sun", "Squeeze-and-Excitation Networks", 2017, "1709.01507"),
                full="seresnet50", mini="se_resnet20",
                problem="channels are weighted equally, whatever the image",
                idea="channel attention: squeeze (global pool) and excite (a gate per channel)")

SE_REDUCTION = 16  # r, "we set r = 16 in all experiments" unless stated (Sec. 6.1, Table 10)
SE_RESNET50 = ResNeXtConfig((3, 4, 6, 3), cardinality=1, base_width=64)  # ResNet-50's bottlenecks: one path of 64
MINI_REDUCTION = 4  # the mini's r: 16 would leave 1-4 hidden units on 16-64 channels


class SEBasicBlock(BasicBlock):
    """ResNet's basic block with an SE block on its residual, before the addition (Fig. 3 with Fig. 2 of ResNet)."""

    def __init__(self, in_channels: int, width: int, stride: int, shortcut: str = "A", reduction: int = SE_REDUCTION,
                 name: str | None = None):
        super().__init__(in_channels, width, stride, shortcut=shortcut, name=name)
        if not self.residual:
            raise ConfigError("an SE block recalibrates a residual branch: shortcut='none' has none")
        self.se = SqueezeExcite(width, reduction, name="se")

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        y = self.se(self.conv2(self.conv1(x, training=training), training=training))
        identity = x if self.shortcut is None else self.shortcut(x, training=training)
        return tf.nn.relu(y + identity)


class SECifarResNet(CifarResNet):
    """The CIFAR ResNets of resnet.py (Sec. 4.2 there) with an SE block in every basic block.

    Options: ``se_reduction`` (r; 4 in the mini), ``shortcut`` ("A" or "B"), ``width``.
    """

    def __init__(self, config: CifarResNetConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 include_top: bool = True, pooling: str | None = None, shortcut: str = "A", width: int = 16,
                 se_reduction: int = MINI_REDUCTION):
        Model.__init__(self, num_classes, input_shape, name=f"se_resnet{config.depth}", include_top=include_top,
                       pooling=pooling)
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ConfigError(f"width must be a positive int, got {width!r}")
        widths = [w * width // config.widths[0] for w in config.widths]
        self.conv1 = ConvBN(input_shape[2], widths[0], 3, 1, padding=1, name="conv1")  # 32x32
        channels = widths[0]
        self.blocks = []
        for stage, w in enumerate(widths):
            for i in range(config.n):
                stride = 2 if i == 0 and stage > 0 else 1
                self.blocks.append(SEBasicBlock(channels, w, stride, shortcut=shortcut, reduction=se_reduction,
                                                name=f"stage{stage + 1}_block{i + 1}"))
                channels = w
        self.num_features = channels
        self.pool = GlobalAvgPool(name="avg_pool")
        self.fc = Dense(channels, num_classes, name="fc") if include_top else None


TIMM = "timm"


@register(FAMILY, params=(28_088_024, 28_141_144), macs=4_091_699_200, paper_macs=(3.87e9, "Table 2"),
          macs_tolerance=0.06, paper_params="~25M + ~2.5M (Sec. 4)",
          references=[Reference(f"{TIMM} seresnet50", 28_088_024),
                      Reference(f"{TIMM} legacy_seresnet50", 28_088_024, options={"stride_in_1x1": True})],
          note="timm's layout (stride in the 3x3), 5.7% above the paper's 3.87 G; stride_in_1x1=True is the "
               "paper's (3.860 G)",
          top1=(76.71, "SENet paper Table 2, single 224 crop"))
def seresnet50(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), se_reduction: int = SE_REDUCTION,
               **options: Any) -> ResNeXt:
    """SE-ResNet-50 (Table 2): ResNet-50 v1.5 with an SE block (r=16) in every bottleneck; 28,088,024, as timm."""
    return ResNeXt(SE_RESNET50, num_classes=num_classes, input_shape=input_shape, se_reduction=se_reduction,
                   name="seresnet50", **options)


@register(FAMILY, params=(27_559_896, 27_628_120), macs=4_232_994_816, paper_macs=(4.25e9, "Table 2"),
          references=[Reference(f"{TIMM} seresnext50_32x4d", 27_559_896)],
          top1=(78.9, "SENet paper Table 2, single 224 crop"))
def seresnext50_32x4d(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3),
                      se_reduction: int = SE_REDUCTION, **options: Any) -> ResNeXt:
    """SE-ResNeXt-50 (32x4d), Table 2: ResNeXt-50 with an SE block (r=16) in every block; 27,559,896, as timm."""
    return ResNeXt(RESNEXT50_32X4D, num_classes=num_classes, input_shape=input_shape, se_reduction=se_reduction,
                   name="seresnext50_32x4d", **options)


@register(FAMILY, params=(278_206, 279_582), macs=40_559_104, mini=True,
          note="ResNet-20 (option A) with an SE block, r=4, on every basic block: put it beside resnet20")
def se_resnet20(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> SECifarResNet:
    """SE-ResNet-20 (the mini): CIFAR ResNet-20 with SE blocks (r=4); for 32x32."""
    return SECifarResNet(RESNET20, num_classes=num_classes, input_shape=input_shape, **options)
