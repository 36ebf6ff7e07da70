"""torchvision as a reference for tests, where it imports.

The torchvision wheel the package registry serves is built against another torch:
its C extension (NMS, RoI align, deformable convolution) does not load beside the
CPU torch installed here, and ``import torchvision`` then fails registering fake
kernels for ``torchvision::nms``. Classification models use none of those ops, so
declaring their schemas (no kernels) before the import makes it succeed.
``torchvision()`` returns the module, or None when torch or torchvision is not
installed or still does not import; tests skip on None.
"""

from __future__ import annotations

import importlib
from typing import Any

# The operators torchvision registers fake (meta) kernels for at import time.
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)

_CACHE: dict[str, Any] = {}
_LIBRARIES: list[Any] = []  # a Library's definitions live as long as the object


def torchvision() -> Any:
    """The torchvision module (classification models usable), or None."""
    if "tv" in _CACHE:
        return _CACHE["tv"]
    try:
        import torch
    except ImportError:
        _CACHE["tv"] = None
        return None
    try:
        module = importlib.import_module("torchvision")
    except ImportError:
        module = None
    except RuntimeError:  # "operator torchvision::nms does not exist": declare the schemas, try again
        import sys

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        try:
            lib = torch.library.Library("torchvision", "DEF")
            for schema in _SCHEMAS:
                lib.define(schema)
            _LIBRARIES.append(lib)
            module = importlib.import_module("torchvision")
        except Exception:  # noqa: BLE001  (any other failure: no reference, the tests skip)
            module = None
    _CACHE["tv"] = module
    return module


def torchvision_or_skip() -> Any:
    """torchvision, with torch seeded (0) for the reference's random weights; the test skips without it."""
    import pytest

    tv = torchvision()
    if tv is None:
        pytest.skip("torchvision does not import here")
    import torch

    torch.manual_seed(0)
    return tv


def copy_torchvision_resnet(tv_model: Any, ours: Any) -> None:
    """A torchvision ResNet/ResNeXt/Wide ResNet's weights and BN statistics into ours (``ResNeXt`` in resnext.py).

    OIHW kernels become HWIO; a grouped kernel keeps its output-channel order, group after
    group, as our Conv2D splits it. (A later issue adds ``convnets.from_torch``.)
    """

    def conv(dst: Any, src: Any) -> None:
        dst.w.assign(src.weight.detach().numpy().transpose(2, 3, 1, 0))
        if src.bias is not None:
            dst.b.assign(src.bias.detach().numpy())

    def bn(dst: Any, src: Any) -> None:
        for ours_var, theirs in ((dst.gamma, src.weight), (dst.beta, src.bias), (dst.moving_mean, src.running_mean),
                                 (dst.moving_variance, src.running_var)):
            ours_var.assign(theirs.detach().numpy())

    conv(ours.stem[0].conv, tv_model.conv1)
    bn(ours.stem[0].bn, tv_model.bn1)
    tv_blocks = [b for layer in (tv_model.layer1, tv_model.layer2, tv_model.layer3, tv_model.layer4) for b in layer]
    assert len(tv_blocks) == len(ours.blocks)
    for src, dst in zip(tv_blocks, ours.blocks):
        conv(dst.conv1.conv, src.conv1)
        bn(dst.conv1.bn, src.bn1)
        conv(dst.conv2, src.conv2)
        bn(dst.bn2, src.bn2)
        conv(dst.conv3.conv, src.conv3)
        bn(dst.conv3.bn, src.bn3)
        if src.downsample is not None:
            conv(dst.shortcut.conv, src.downsample[0])
            bn(dst.shortcut.bn, src.downsample[1])
    ours.fc.w.assign(tv_model.fc.weight.detach().numpy().T)
    ours.fc.b.assign(tv_model.fc.bias.detach().numpy())


def randomise_batchnorm(tv_model: Any, seed: int = 0) -> None:
    """Random BN scales, shifts and running statistics, so a swapped mean/variance or gamma/beta shows."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in tv_model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
