"""torchvision as a reference for tests, where it imports.

``torchvision()`` returns the module, or None when torch or torchvision is not installed
or does not import beside this torch (``convnets.torch_port.import_torchvision`` handles
the registry's CUDA-built torchvision beside the CPU torch); tests skip on None.
"""

from __future__ import annotations

from typing import Any

_CACHE: dict[str, Any] = {}


def torchvision() -> Any:
    """The torchvision module (classification models usable), or None."""
    if "tv" not in _CACHE:
        from convnets.errors import ConfigError
        from convnets.torch_port import import_torchvision

        try:
            _CACHE["tv"] = import_torchvision()
        except ConfigError:
            _CACHE["tv"] = None
    return _CACHE["tv"]


def torchvision_or_skip() -> Any:
    """torchvision, with torch seeded (0) for the reference's random weights; the test skips without it."""
    import pytest

    tv = torchvision()
    if tv is None:
        pytest.skip("torchvision does not import here")
    import torch

    torch.manual_seed(0)
    return tv


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


def meta_device(tv: Any) -> Any:
    """``torch.device("meta")`` (modules without memory or weights), except that torchvision's RegNet widths are
    computed on the CPU: ``BlockParams.from_init_params`` builds them from tensors it reads back (``tolist``),
    which meta tensors cannot give."""
    import contextlib

    import torch

    params = tv.models.regnet.BlockParams
    original = params.__dict__["from_init_params"]

    def on_cpu(cls: Any, *args: Any, **kwargs: Any) -> Any:
        with torch.device("cpu"):
            return original.__func__(cls, *args, **kwargs)

    @contextlib.contextmanager
    def device() -> Any:
        params.from_init_params = classmethod(on_cpu)
        try:
            with torch.device("meta"):
                yield
        finally:
            params.from_init_params = original

    return device()
