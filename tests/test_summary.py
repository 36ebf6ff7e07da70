"""``convnets summary``: the rows add up to the footer, the footer says only what is true."""

from __future__ import annotations

import pytest

import convnets
from convnets.layers import init
from convnets.summary import format_table, human, summarize


def counted(name: str, **kw):
    with init.zeros_only():
        return convnets.create_model(name, **kw)


def test_rows_add_up_to_the_trainable_count_with_training_only_heads_listed():
    """GoogLeNet's auxiliary heads run only in training: listed, marked, and in the sum (Sec. 5)."""
    s = convnets.summarize(counted("googlenet_mini"))
    assert sum(r["params"] for r in s["layers"]) == s["trainable_params"] == 173_910
    aux = [r for r in s["layers"] if r.get("training_only")]
    assert aux and all(r["name"].startswith("aux") for r in aux)
    assert s["trainable_params"] - s["training_only_params"] == sum(r["params"] for r in s["layers"] if r not in aux)
    text = format_table(s)
    assert "(training only)" in text and "in training-only layers" in text


def test_every_registered_model_rows_add_up():
    for name in ("lenet5", "resnet20", "densenet_mini", "mobilenet_v2_mini", "vgg_mini", "nin_mini", "alexnet_mini"):
        s = convnets.summarize(counted(name))
        assert sum(r["params"] for r in s["layers"]) == s["trainable_params"], name


@pytest.mark.parametrize("name", ["lenet5", "xception_mini", "shufflenet_v2_mini", "convnext_mini", "nasnet_mini",
                                  "googlenet_mini"])
def test_shapes_only_rows_equal_an_ordinary_pass(name):
    """The registry-wide test counts with ``shapes_only`` (no arithmetic in convolutions, dense and
    normalisation layers): every row (shape, parameters, MACs) is the one an ordinary pass gives."""
    model = counted(name)
    assert convnets.summarize(model, shapes_only=True) == convnets.summarize(model)


def test_footer_mentions_batchnorm_statistics_only_when_there_are_some():
    assert "BatchNorm" not in format_table(convnets.summarize(counted("lenet5")))
    assert "total params:     271,098  (with BatchNorm moving statistics)" in format_table(convnets.summarize(counted("resnet20")))


def test_large_counts_read_in_g_and_m():
    assert human(3_857_973_248) == "3.86 G" and human(40_551_040) == "40.55 M" and human(328_096) == "0.33 M"
    assert "(3.86 G, inference)" in format_table(convnets.summarize(counted("resnet50")))


def test_variables_are_named_by_their_layer_path():
    """Not 'w:0' everywhere: the path summary prints, so an error about a variable says which."""
    names = [v.name for v in counted("resnet20").trainable_variables]
    assert "stage2_block1/conv1/conv/w:0" in names and "fc/w:0" in names
    assert len(set(names)) == len(names)
    assert {v.name for v in counted("lenet5").trainable_variables} >= {"C1/w:0", "C1/b:0", "F6/w:0"}


def _fields(name: str, **options) -> dict:
    with init.zeros_only():
        model = convnets.create_model(name, **options)
    s = summarize(model, fields=True)
    return {r["name"]: (tuple(r["receptive_field"]), tuple(r["jump"])) for r in s["layers"]} | {
        "features": (tuple(s["features_receptive_field"]["receptive_field"]), tuple(s["features_receptive_field"]["jump"]))}


def test_receptive_fields_by_hand_lenet5_and_vgg16():
    """r_out = r_in + (k - 1) * d * j_in, j_out = j_in * s. LeNet-5: C1 5, S2 6 (jump 2), C3 6 + 4 * 2 = 14,
    S4 16 (jump 4), C5 16 + 4 * 4 = 32: C5 sees the whole 32x32 input. VGG-16: 13 3x3 convolutions and 5
    2x2 pools; conv5_3 sees 196x196 and pool5 212x212 (jump 32)."""
    lenet = _fields("lenet5")
    assert [lenet[n] for n in ("C1", "S2", "C3", "S4", "C5")] == [
        ((5, 5), (1, 1)), ((6, 6), (2, 2)), ((14, 14), (2, 2)), ((16, 16), (4, 4)), ((32, 32), (4, 4))]
    vgg = _fields("vgg16")
    assert vgg["block1_conv2"] == ((5, 5), (1, 1)) and vgg["block1_pool"] == ((6, 6), (2, 2))
    assert vgg["block5_conv3"] == ((196, 196), (16, 16)) and vgg["block5_pool"] == ((212, 212), (32, 32))
    assert vgg["features"] == vgg["block5_pool"]


def test_receptive_fields_through_branches_shortcuts_and_gates():
    """Where paths meet the widest field counts: ResNet-50's last map sees 483 pixels and MobileNet's 315, as
    Araujo et al. (Distill, 2019) compute for TF-slim's resnet_v1_50 and mobilenet_v1; Inception-v3's 1x7 and
    7x1 branches give fields of unequal sides; an SE gate (a global pool) makes a unit depend on its whole map."""
    assert _fields("resnet50", include_top=False)["features"] == ((483, 483), (32, 32))
    assert _fields("mobilenet_v1", include_top=False)["features"] == ((315, 315), (32, 32))
    inception = _fields("inception_v3_mini")
    assert any(h != w for (h, w), _ in inception.values())  # a 1x7 after a 7x1 is not square until the 7x1 after it
    plain, se = _fields("resnet20"), _fields("se_resnet20")
    assert plain["features"] == ((81, 81), (4, 4))  # 19 3x3 convolutions, two of them stride 2
    assert se["features"][1] == (4, 4) and se["features"][0][0] > 81 + 7 * 4  # the gate pools the whole 8x8 map
