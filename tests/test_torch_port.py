"""``convnets.from_torch``: torchvision's networks, their weights copied into ours, compute torchvision's
eval-mode logits (to 1e-4 relative to their magnitude), with BatchNorm scales, shifts and running
statistics randomised so a swapped tensor shows; ``convert-torch`` writes a run the other commands use.

Every family torchvision and the zoo share is compared once, at a small input where the network allows
it (VGG and AlexNet only at 224: torchvision's adaptive pooling resizes other inputs). The other depths
of a family are checked by structure (``identify`` on meta-device modules, no weights) and by count.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from torch_reference import meta_device, randomise_batchnorm, torchvision_or_skip

import convnets
from convnets.cli import main
from convnets.errors import ConfigError
from convnets.torch_port import TORCHVISION_MODELS, from_torch, identify

# torchvision name -> the input side it is compared at
COMPARED = {
    "resnet18": 64, "resnet50": 64, "resnext50_32x4d": 64, "wide_resnet50_2": 64, "densenet121": 64,
    "mobilenet_v2": 64, "googlenet": 96, "inception_v3": 107,  # SqueezeNet 1.0/1.1: tests/test_squeezenet.py
    "alexnet": 224, "vgg11_bn": 224, "shufflenet_v2_x0_5": 64, "mobilenet_v3_small": 64, "mobilenet_v3_large": 64,
    "efficientnet_b0": 64,
}
# Not compared (the suite's time): the other ShuffleNet widths and EfficientNet points (the same classes at
# other widths and depths), VGG without BatchNorm and the other depths (the same layers, fewer or more).


def _reference(tv, name: str, **kwargs):
    import torch

    torch.manual_seed(0)
    if name in ("googlenet", "inception_v3"):
        kwargs.setdefault("init_weights", True)
    ref = getattr(tv.models, name)(weights=None, **kwargs)
    randomise_batchnorm(ref, 1)
    with torch.no_grad():  # a classifier large enough that the comparison is not one of near-zeros
        last = [m for m in ref.modules() if type(m).__name__ in ("Linear", "Conv2d")][-1]
        last.weight.normal_(0, 0.1)
        last.bias.normal_(0, 0.1)
    return ref.eval()


def _compare(ref, ours, side: int, seed: int = 2) -> None:
    import torch

    x = np.random.default_rng(seed).normal(size=(2, side, side, 3)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy()
    got = ours(x).numpy()
    scale = np.abs(expected).max()
    assert scale > 1e-2  # not a comparison of zeros
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", list(COMPARED))
def test_logits_match_torchvision(name):
    tv = torchvision_or_skip()
    ref = _reference(tv, name)
    side = COMPARED[name]
    ours = from_torch(ref, input_shape=(side, side, 3))
    assert ours.config["name"] == TORCHVISION_MODELS[name][0]
    torch_params = sum(p.numel() for n, p in ref.named_parameters() if not n.startswith(("aux", "AuxLogits")))
    assert ours.trainable_params == torch_params
    _compare(ref, ours, side)


def test_every_torchvision_name_is_identified_from_its_structure():
    """Every builder of TORCHVISION_MODELS, on torch's meta device (no memory, no weights): identify names each one."""
    tv = torchvision_or_skip()
    with meta_device(tv):  # torch.device("meta"), torchvision's RegNet widths computed on the CPU
        for name in TORCHVISION_MODELS:
            kwargs = {"init_weights": False} if name in ("googlenet", "inception_v3") else {}
            assert identify(getattr(tv.models, name)(weights=None, **kwargs)) == name
        with pytest.raises(ConfigError, match="from_torch supports"):
            identify(tv.models.resnext101_64x4d(weights=None))
        odd = tv.models.efficientnet_v2_s(weights=None)  # V2-S/M/L are identified (above); other depths are not
        del odd.features[6]  # without its last stage
        with pytest.raises(ConfigError, match=r"an EfficientNetV2 with a 24-channel stem, stages of \(2, 4, 4, 6, 9\)"):
            identify(odd)


@pytest.mark.parametrize("name, params", [("alexnet", 61_100_840), ("googlenet", 6_624_904),
                                          ("inception_v3", 23_834_568), ("mobilenet_v2", 3_504_872)])
def test_torchvision_variants_count_as_torchvision(name, params):
    """The variants from_torch builds have torchvision's counts (without its auxiliary heads) at 224/299."""
    from convnets.layers import init

    options = {k: v for k, v in TORCHVISION_MODELS[name][1].items()}
    with init.zeros_only():
        m = convnets.create_model(name, input_shape=(299, 299, 3) if name == "inception_v3" else (224, 224, 3),
                                  **options)
    assert m.trainable_params == params


def test_a_state_dict_needs_its_name_and_mismatches_are_named():
    tv = torchvision_or_skip()
    ref = _reference(tv, "resnet18")
    state = ref.state_dict()
    with pytest.raises(ConfigError, match="pass name="):
        from_torch(state)
    ours = from_torch(state, "resnet18", input_shape=(64, 64, 3))  # the same network from the bare tensors
    _compare(ref, ours, 64)
    numpy_state = {k: v.numpy() for k, v in state.items()}  # no torch needed to read it
    np.testing.assert_array_equal(from_torch(numpy_state, "resnet18", input_shape=(64, 64, 3)).fc.w.numpy(),
                                  ours.fc.w.numpy())
    with pytest.raises(ConfigError, match=r"conv2_block3/conv1/conv \(torch layer2.0.conv1\).weight: shape \(3, 3, 64, 64\) in our model"):
        from_torch(state, "resnet34", input_shape=(64, 64, 3))
    with pytest.raises(ConfigError, match="the module is torchvision's resnet18, not resnet50"):
        from_torch(ref, "resnet50")
    with pytest.raises(ConfigError, match="expects a torchvision model"):
        from_torch([1, 2, 3])
    with pytest.raises(ConfigError, match="reads a 6x6x256 map .* ours has 4x4: use 224x224"):
        from_torch(_reference(tv, "alexnet"), input_shape=(160, 160, 3))  # torchvision's adaptive pool resizes


def test_headless_and_the_mobilenet_width_multiplier():
    """alpha is read from the widths; include_top=False gives torchvision's pooled features."""
    tv = torchvision_or_skip()
    import torch

    ref = _reference(tv, "mobilenet_v2", width_mult=0.5)
    ours = from_torch(ref, input_shape=(64, 64, 3))
    assert ours.config["options"]["alpha"] == 0.5
    _compare(ref, ours, 64)
    headless = from_torch(ref, input_shape=(64, 64, 3), include_top=False, pooling="avg")
    x = np.random.default_rng(3).normal(size=(2, 64, 64, 3)).astype(np.float32)
    with torch.no_grad():
        pooled = ref.features(torch.from_numpy(x.transpose(0, 3, 1, 2))).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(headless(x).numpy(), pooled, rtol=1e-4, atol=1e-4 * np.abs(pooled).max())


def test_convert_torch_writes_a_run_that_predicts_and_evaluates(tmp_path, monkeypatch, capsys):
    torchvision_or_skip()
    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    out = tmp_path / "sq"
    assert main(["convert-torch", "squeezenet1_1", "--size", "96", "--out", str(out)]) == 0
    assert "squeezenet1_1 from torchvision.models.squeezenet1_1 with random weights (1,235,496 params)" in \
        capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["preprocess"]["mean"] == [0.485, 0.456, 0.406] and len(config["class_names"]) == 1000
    model, spec, _ = convnets.load_run(out)
    assert model.input_shape == (96, 96, 3) and spec.std == (0.229, 0.224, 0.225)
    assert main(["convert-torch", "squeezenet1_1", "--out", str(out)]) == 2  # an existing run is not overwritten (exit 2: a usage error)
    assert "already holds a run" in capsys.readouterr().err
    assert main(["convert-torch", "resnet19", "--out", str(tmp_path / "x")]) == 2
    assert "convert-torch supports" in capsys.readouterr().err
