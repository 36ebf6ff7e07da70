"""Wide ResNet: Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016
(https://arxiv.org/abs/1605.07146).

Thin and very deep residual networks reuse features poorly, and train slowly
(Sec. 1): the paper trades depth for width. WRN-d-k is a CIFAR pre-activation
ResNet (the unit of He et al. 2016b, preact_resnet.py) of depth d whose
stages are k times wider than ResNet's (Table 1). WRN-28-10 (36.5M parameters)
beat the 1001-layer pre-activation ResNet (10.2M) on CIFAR-10 and CIFAR-100 and
trains several times faster on a GPU (Table 8). Dropout between a unit's two
convolutions (Sec. 2.4, "WRN-28-10-dropout", rate 0.3) helps further.

Table 1 (CIFAR, 32x32), as data below (``WRN28_10``, ``WRN16_8``, ``WRN40_4``):

    group    output   block type = B(3,3)
    conv1    32x32    [3x3, 16]
    conv2    32x32    [3x3, 16k;  3x3, 16k] x N
    conv3    16x16    [3x3, 32k;  3x3, 32k] x N
    conv4    8x8      [3x3, 64k;  3x3, 64k] x N
    avg-pool 1x1      [8x8]

with N = (d - 4) / 6 units per group: each unit is BN-ReLU-3x3, BN-ReLU-3x3
(``PreActBasicBlock``), conv3 and conv4 halve the map in their first unit, and a
1x1 convolution (no BatchNorm) on the pre-activated input is the shortcut where
the width or the stride changes, including 16 -> 16k at the start of conv2. The
authors' code (szagoruyko/wide-residual-networks) ends with BN-ReLU, the 8x8
average pool and a linear layer; its convolutions have no bias.

ImageNet (``wide_resnet50_2``, ``wide_resnet101_2``): the paper's WRN-50-2-
bottleneck, ResNet-50's bottlenecks with their inner 1x1-3x3 width doubled and
their outputs kept (stages 128/256/512/1024 wide, outputs 256 .. 2048), as the
authors' released model and torchvision build it: post-activation, the stride in
the 3x3 (torchvision's "v1.5"), 1x1 + BN projections. It is a ResNeXt bottleneck
with one path of twice ResNet's width (resnext.py, cardinality 1, d = 128).

Exact counts (trainable / total with BN statistics):

    wrn28_10          36,479,194 / 36,497,146 (10 classes, 32x32)  paper 36.5M;  5,243,328,768 MACs
    wrn16_8           10,961,370 / 10,968,570                      paper 11.0M;  1,548,145,664 MACs
    wrn40_4            8,949,210 /  8,959,994                      paper 8.9M;   1,298,582,016 MACs
    wide_resnet50_2   68,883,240 / 68,951,464   torchvision 68,883,240; 11,398,021,120 MACs, torchvision's exactly
    wide_resnet101_2 126,886,696 / 127,024,552  torchvision 126,886,696; 22,753,050,624 MACs
    wrn10_2              303,706 /    304,634  (the mini)

The paper quotes no MACs. Differences from the paper: none in the architecture;
He-normal initialisation, as the authors' code. Options: ``dropout`` (between
the two convolutions of every unit; 0.3 is the paper's "-dropout" networks).

``include_top=False`` returns the map after the last BN-ReLU (8x8x640 for
WRN-28-10), or the last block's (7x7x2048) on ImageNet.

``wrn10_2`` (the mini) is WRN-10-2: one unit per group, of widths 32, 64 and
128, twice ResNet-20's widths at half its depth; 303,706 parameters and 44.5 M
MACs at 32x32 (ResNet-20: 269,722 and 40.6 M). Its wide layers run well on a
CPU: its training step measured 1.2x ResNet-20's speed on 2 cores, where
WRN-16-2 (two units per group, 691,674 parameters, 101 M MACs) ran at 0.55x.
That speed is how it fits the 10-minute budget on Fashion-MNIST: 91.85% after the
5-epoch fast recipe, 379 s of training on 2 cores (seed 0; docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convnets.errors import ConfigError
from convnets.layers import Conv2D
from convnets.layers.base import Block, Shape
from convnets.models.preact_resnet import PreActBasicBlock, PreActBody
from convnets.models.registry import Family, Paper, Reference, register
from convnets.models.resnext import ResNeXt, ResNeXtConfig

FAMILY = Family("wide_resnet", "Wide ResNet", Paper("Zagoruyko & Komodakis", "Wide Residual Networks", 2016,
                                                    "1605.07146"),
                full="wrn28_10", mini="wrn10_2",
                problem="thin, very deep ResNets are slow and diminish",
                idea="fewer, wider residual blocks train faster and better")


@dataclass(frozen=True)
class WideResNetConfig:
    """WRN-d-k of Table 1 (CIFAR)."""

    depth: int  # d: conv1, 3 groups of N units of two 3x3 convs, and the classifier: d = 6N + 4
    k: int  # the widening factor: groups of 16k, 32k and 64k filters
    widths: tuple[int, int, int] = (16, 32, 64)  # the groups' widths at k = 1 (ResNet's)
    stem_width: int = 16  # conv1: [3x3, 16]

    @property
    def n(self) -> int:
        if (self.depth - 4) % 6:
            raise ConfigError(f"a WRN's depth is 6N + 4 (10, 16, 22, 28, 40, ...), got {self.depth}")
        return (self.depth - 4) // 6


WRN28_10 = WideResNetConfig(28, 10)
WRN16_8 = WideResNetConfig(16, 8)
WRN40_4 = WideResNetConfig(40, 4)
WRN10_2 = WideResNetConfig(10, 2)  # the mini
# WRN-50-2-bottleneck: ResNet-50's stages with the bottleneck's inner width doubled (one path, d = 128).
WIDE_RESNET50_2 = ResNeXtConfig((3, 4, 6, 3), cardinality=1, base_width=128)
WIDE_RESNET101_2 = ResNeXtConfig((3, 4, 23, 3), cardinality=1, base_width=128)


class WideResNet(PreActBody):
    """WRN-d-k for CIFAR: conv1, three groups of wide pre-activation units, BN-ReLU, pool, fc.

    Option: ``dropout`` between each unit's two convolutions (0.3: the paper's "-dropout" networks).
    """

    def __init__(self, config: WideResNetConfig, *, num_classes: int = 10, input_shape: Shape = (32, 32, 3),
                 include_top: bool = True, pooling: str | None = None, dropout: float = 0.0):
        super().__init__(num_classes, input_shape, name=f"wrn{config.depth}_{config.k}", include_top=include_top,
                         pooling=pooling)
        self.conv1 = Conv2D(input_shape[2], config.stem_width, 3, 1, padding=1, use_bias=False, w_init="he_normal",
                            name="conv1")  # 32x32
        channels = config.stem_width
        self.blocks: list[Block] = []
        for group, width in enumerate(config.widths):
            for i in range(config.n):
                stride = 2 if i == 0 and group > 0 else 1  # conv3, conv4: 32 -> 16 -> 8
                block = PreActBasicBlock(channels, width * config.k, stride, shortcut="B", dropout=dropout,
                                         name=f"conv{group + 2}_block{i + 1}")
                self.blocks.append(block)
                channels = block.out_channels
        self._finish(channels, num_classes, include_top)  # 64k features: BN-ReLU, pool, fc


@register(FAMILY, params=(36_479_194, 36_497_146), macs=5_243_328_768, paper_params="36.5M (Table 5)")
def wrn28_10(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> WideResNet:
    """WRN-28-10 for CIFAR (Table 1): 4 units per group, 160/320/640 wide; 36,479,194 trainable."""
    return WideResNet(WRN28_10, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(10_961_370, 10_968_570), macs=1_548_145_664, paper_params="11.0M (Table 5)")
def wrn16_8(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> WideResNet:
    """WRN-16-8 for CIFAR (Table 1): 2 units per group, 128/256/512 wide; 10,961,370 trainable."""
    return WideResNet(WRN16_8, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(8_949_210, 8_959_994), macs=1_298_582_016, paper_params="8.9M (Table 5)")
def wrn40_4(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> WideResNet:
    """WRN-40-4 for CIFAR (Table 1): 6 units per group, 64/128/256 wide; 8,949,210 trainable."""
    return WideResNet(WRN40_4, num_classes=num_classes, input_shape=input_shape, **options)


@register(FAMILY, params=(303_706, 304_634), macs=44_483_840, mini=True,
          note="WRN-10-2: one unit per group, twice ResNet-20's widths; trains at ResNet-20's speed")
def wrn10_2(*, num_classes: int = 10, input_shape: Shape = (32, 32, 3), **options: Any) -> WideResNet:
    """WRN-10-2 (the mini): one unit per group, 32/64/128 wide; for 32x32."""
    return WideResNet(WRN10_2, num_classes=num_classes, input_shape=input_shape, **options)


TORCHVISION = "torchvision"


@register(FAMILY, params=(68_883_240, 68_951_464), macs=11_398_021_120, paper_params="68.9M (WRN-50-2-bottleneck)",
          references=[Reference(TORCHVISION, 68_883_240)],
          note="the authors' WRN-50-2-bottleneck as torchvision builds it: the stride in the 3x3 (v1.5)",
          top1=(78.1, "the authors' README"))
def wide_resnet50_2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNeXt:
    """Wide ResNet-50-2 (ImageNet): ResNet-50 with the bottlenecks' inner width doubled; 68,883,240 trainable."""
    return ResNeXt(WIDE_RESNET50_2, num_classes=num_classes, input_shape=input_shape, name="wide_resnet50_2",
                   **options)


@register(FAMILY, params=(126_886_696, 127_024_552), macs=22_753_050_624,
          references=[Reference(TORCHVISION, 126_886_696)],
          top1=(78.848, "torchvision IMAGENET1K_V1 (not in the paper)"))
def wide_resnet101_2(*, num_classes: int = 1000, input_shape: Shape = (224, 224, 3), **options: Any) -> ResNeXt:
    """Wide ResNet-101-2 (ImageNet, torchvision): ResNet-101, inner widths doubled; 126,886,696 trainable."""
    return ResNeXt(WIDE_RESNET101_2, num_classes=num_classes, input_shape=input_shape, name="wide_resnet101_2",
                   **options)
