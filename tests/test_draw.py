"""``convnets draw``: diagrams generated from the models themselves (convnets.viz.diagram)."""

from __future__ import annotations

import matplotlib.image as mpimg
import pytest

import convnets
from convnets.cli import main
from convnets.layers import init
from convnets.models import list_families
from convnets.viz import diagram


def build(name: str, **kw):
    with init.zeros_only():
        return convnets.create_model(name, **kw)


def nodes_of(graph) -> dict[str, diagram.Node]:
    return {n.title: n for n in graph.nodes.values()}


@pytest.mark.parametrize("name, stage", [
    ("stage1_block2", "stage1"), ("conv3_block12", "conv3"), ("block1_conv2", "block1"), ("block1_pool", "block1"),
    ("stage2_downsample", "stage2"), ("s3_b4", "s3"), ("stage3_2", "stage3"), ("inception_4c", "inception_4"),
    ("block6b", "block6"), ("stage2_unit3", "stage2"), ("conv1", "conv1"), ("avg_pool", "avg_pool"), ("C5", "C5"),
])
def test_stage_names(name, stage):
    assert diagram.stage_of(name) == stage


def test_resnet20_stages_and_units():
    """Table 6 of He et al.: a 3x3 stem, three stages of three basic units, pooling, the classifier."""
    tr = diagram.trace(build("resnet20"))
    rows = diagram.overview_rows(tr)
    assert [b["name"] for b in rows] == ["conv1", "stage1", "stage2", "stage3", "avg_pool", "fc"]
    by = {b["name"]: b for b in rows}
    assert by["stage2"]["what"] == "3 x BasicBlock" and by["stage2"]["shape"] == "16x16x32"
    assert sum(b["params"] for b in rows) == 269_722
    opened = diagram.opened_blocks(tr)
    first, down = (nodes_of(b["graph"]) for b in opened[:2])
    # the identity shortcut: the block's input meets conv2's output at the addition, then the ReLU
    add = first["+"]
    assert sorted(add.sources) == ["io:input", "stage1_block1/conv2"]
    assert first["ReLU"].sources == ["op:" + add.key[3:]]
    # the downsampling unit: its shortcut is a layer of its own, beside conv1, both fed by the input
    assert first["conv1"].detail == "3x3 conv +BN relu" and down["conv1"].detail == "3x3/2 conv +BN relu"
    assert down["shortcut"].sources == ["io:input"] and "stage2_block1/shortcut" in down["+"].sources


def test_blocks_open_their_branches_gates_and_shuffles():
    inception = nodes_of(diagram.opened_blocks(diagram.trace(build("googlenet_mini")))[0]["graph"])
    assert len(inception["concat"].sources) == 4  # 1x1, 3x3, 5x5 and pool-projection branches (Fig. 2b)
    assert inception["b3x3"].sources == ["inception_3a/b3x3_reduce"] and inception["b1x1"].sources == ["io:input"]

    dense = nodes_of(diagram.opened_blocks(diagram.trace(build("densenet_mini")))[0]["graph"])
    assert "io:input" in dense["concat"].sources  # each layer's maps are concatenated to its input

    se = {b["row"]["type"]: nodes_of(b["graph"]) for b in diagram.opened_blocks(diagram.trace(build("se_resnet20")))}
    gate = se["SqueezeExcite"]["x"]  # the excitation rescales the input map channel by channel
    assert "io:input" in gate.sources and len(gate.sources) == 2
    assert se["SqueezeExcite"]["sigmoid"].key in gate.sources

    units = [nodes_of(b["graph"]) for b in diagram.opened_blocks(diagram.trace(build("shufflenet_v2_mini")))]
    assert all("channel shuffle" in u for u in units)
    assert "channel split" in units[1]  # the basic unit splits; the downsampling unit (Fig. 3d) does not
    assert "channel split" not in units[0]


@pytest.mark.parametrize("family", [f.name for f in list_families()])
def test_every_family_draws(family, tmp_path):
    """Each family's mini: an SVG is written, is not blank, and its text names every stage of the overview and
    every block it opens."""
    fam = next(f for f in list_families() if f.name == family)
    model = build(fam.mini)
    tr = diagram.trace(model)
    stages = [b["name"] for b in diagram.overview_rows(tr)]
    opened = [b["row"]["name"] for b in diagram.opened_blocks(tr)]
    path = diagram.save(diagram.draw(model), tmp_path / f"{family}.svg")
    text = diagram.svg_text(path)
    assert path.stat().st_size > 5_000
    assert len(text) > 2 * len(stages)
    missing = [s for s in stages if s not in text]
    assert not missing, f"{fam.mini}: stages not in the picture: {missing}"
    assert all(any(t.startswith(name + ":") for t in text) for name in opened)


def test_the_same_diagram_makes_the_same_svg(tmp_path):
    """No date and no random clip-path ids: regenerating the docs' pictures changes no file whose network did not."""
    model = build("lenet5")
    first = diagram.save(diagram.draw(model), tmp_path / "a" / "lenet.svg").read_bytes()
    again = diagram.save(diagram.draw(model), tmp_path / "b" / "lenet.svg").read_bytes()
    assert first == again and b"<dc:date>" not in first


def test_depth_layers_and_blocks(tmp_path):
    model = build("lenet5")
    text = diagram.svg_text(diagram.save(diagram.draw(model, "layers"), tmp_path / "lenet.svg"))
    for name in ("C1", "S2", "C3", "S4", "C5", "F6", "output", "5x5 conv", "2x2/2 avg pool"):
        assert name in text
    assert "tanh" in text  # the scaled tanh after each layer (LeCun et al. 1998, Appendix A)
    blocks = diagram.overview_rows(diagram.trace(build("resnet20")), "blocks")
    assert [b["name"] for b in blocks][:4] == ["conv1", "stage1_block1", "stage1_block2", "stage1_block3"]
    with pytest.raises(convnets.ConfigError, match="depth must be one of"):
        diagram.overview_rows(diagram.trace(model), "cells")


def test_cli_draw(capsys, tmp_path):
    out = tmp_path / "resnet20.png"
    assert main(["draw", "resnet20", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    pixels = mpimg.imread(out)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600 and pixels[..., :3].std() > 0.05  # not blank
    assert main(["draw", "resnet20", "--input-shape", "64,64,3", "--out", str(tmp_path / "r64.svg")]) == 0
    assert "64x64x3" in diagram.svg_text(tmp_path / "r64.svg")
    assert main(["draw", "resnet20", "--out", str(tmp_path / "r.txt")]) == 2
    assert "write a .svg or a .png file" in capsys.readouterr().err
    assert main(["draw", "no_such_net", "--out", str(tmp_path / "x.svg")]) == 2
    assert "unknown model" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
