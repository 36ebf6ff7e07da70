"""``convnets summary``: the rows add up to the footer, the footer says only what is true."""

from __future__ import annotations

import convnets
from convnets.layers import init
from convnets.summary import format_table, human


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
