"""Fine-tuning (``--init-from RUN --freeze backbone``): a run starts from another run's weights, copied
by place and shape; with the backbone frozen only the classifier learns, and the feature layers keep
their weights and BatchNorm statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

import convnets
from convnets.cli import main
from convnets.data import load_dataset
from convnets.train import load_run
from convnets.train.finetune import variables_by_path


@pytest.fixture(scope="module")
def two_digits(tmp_path_factory):
    """A user's own folder: two classes (3 and 8) of 60 grey digit images each, as PNG files."""
    ds = load_dataset("digits")
    root = tmp_path_factory.mktemp("mine") / "two"
    for digit, name in ((3, "three"), (8, "eight")):
        (root / name).mkdir(parents=True)
        images = np.concatenate([ds.train.images[ds.train.labels == digit], ds.test.images[ds.test.labels == digit]])
        for i, image in enumerate(images[:60]):
            (root / name / f"{i:02d}.png").write_bytes(tf.io.encode_png(image).numpy())
    return root


def _split(run, frozen_head=("fc/",)):
    model = load_run(run)[0]
    values = {p: v.numpy() for p, v in variables_by_path(model).items()}
    head = {p for p in values if any(p.startswith(h) or f"/{h}" in p for h in frozen_head)}
    return values, head


def test_frozen_backbone_keeps_weights_and_statistics_and_the_head_learns(trained_digits_resnet, two_digits, tmp_path,
                                                                           capsys):
    out = tmp_path / "tuned"
    assert main(["train", "resnet20", "--dataset", f"folder:{two_digits}", "--input-shape", "16,16,1", "--epochs", "6",
                 "--optimizer", "adam", "--lr", "0.02", "--batch-size", "16", "--init-from", str(trained_digits_resnet),
                 "--freeze", "backbone", "--out", str(out), "--quiet"]) == 0
    log = capsys.readouterr().out
    assert f"started from {trained_digits_resnet} (resnet20)" in log and "fresh: fc/b (10 there, 2 here)" in log
    source, _ = _split(trained_digits_resnet)
    tuned, head = _split(out)
    assert head == {"fc/w", "fc/b"}
    backbone = [p for p in tuned if p not in head]
    assert len(backbone) == 95 and any("moving_mean" in p for p in backbone)
    for p in backbone:  # kernels, BatchNorm scales and moving statistics alike
        np.testing.assert_array_equal(tuned[p], source[p], err_msg=p)
    history = json.loads((out / "metrics.json").read_text())
    assert history["test_accuracy"] > 0.8  # a linear head on the digit features tells 3 from 8
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["init_from"] == str(trained_digits_resnet) and config["train"]["freeze"] == "backbone"
    assert config["preprocess"]["mean"] == json.loads((trained_digits_resnet / "config.json").read_text())["preprocess"]["mean"]
    # Resumed for more epochs: the checkpoint's weights, the recorded normalisation, the backbone still frozen.
    assert main(["train", "resnet20", "--dataset", f"folder:{two_digits}", "--input-shape", "16,16,1", "--epochs", "7",
                 "--optimizer", "adam", "--lr", "0.02", "--batch-size", "16", "--init-from", str(trained_digits_resnet),
                 "--freeze", "backbone", "--out", str(out), "--quiet", "--resume"]) == 0
    assert "started from" not in capsys.readouterr().out
    resumed, _ = _split(out)
    for p in backbone:
        np.testing.assert_array_equal(resumed[p], source[p], err_msg=p)
    assert json.loads((out / "config.json").read_text())["preprocess"] == config["preprocess"]


def test_unfrozen_fine_tuning_moves_the_backbone_too(trained_digits_resnet, two_digits, tmp_path):
    """Without optimiser flags, --init-from trains with the fine-tuning recipe (recipes.FINE_TUNE)."""
    out = tmp_path / "tuned"
    assert main(["train", "resnet20", "--dataset", f"folder:{two_digits}", "--input-shape", "16,16,1", "--epochs", "1",
                 "--init-from", str(trained_digits_resnet), "--out", str(out), "--quiet"]) == 0
    source, _ = _split(trained_digits_resnet)
    tuned, head = _split(out)
    assert any(not np.array_equal(tuned[p], source[p]) for p in tuned if p not in head)
    train = json.loads((out / "config.json").read_text())["train"]
    assert (train["optimizer"], train["lr"], train["epochs"], train["weight_decay"]) == ("adam", 1e-4, 1, 0.0)


def test_the_fine_tuning_recipe_is_data_over_the_models():
    from convnets.recipes import FINE_TUNE, fine_tune_recipe, recipe_for

    frozen = fine_tune_recipe("mobilenet_v2", "folder:x", "backbone")
    assert (frozen.optimizer, frozen.lr, frozen.epochs) == ("adam", 1e-3, 5)
    assert fine_tune_recipe("resnet20", "fashion_mnist", "conv3_block1").lr == FINE_TUNE["all"]["lr"]
    assert fine_tune_recipe("resnet20", "fashion_mnist", "none").augment == recipe_for("resnet20", "fashion_mnist").augment


def test_a_keras_conversion_fine_tunes_with_a_frozen_backbone(two_digits, tmp_path, capsys, monkeypatch):
    """convert-keras's MobileNetV2 (random weights here: no download in tests) on two classes of one's own images:
    a new two-way head, Keras's -1..1 input scaling kept, the backbone and its statistics unchanged."""
    monkeypatch.setenv("CONVNETS_NO_DOWNLOAD", "1")
    source = tmp_path / "mnv2"
    assert main(["convert-keras", "mobilenet_v2", "--alpha", "0.35", "--size", "96", "--out", str(source)]) == 0
    out = tmp_path / "tuned"
    assert main(["train", "mobilenet_v2", "--model-arg", "alpha=0.35", "--input-shape", "96,96,3",
                 "--dataset", f"folder:{two_digits}", "--epochs", "2", "--optimizer", "adam", "--lr", "0.001",
                 "--batch-size", "32", "--init-from", str(source), "--freeze", "backbone", "--out", str(out),
                 "--quiet"]) == 0
    assert "fresh: fc/b (1000 there, 2 here), fc/w (1280x1000 there, 1280x2 here)" in capsys.readouterr().out
    before, _ = _split(source)
    after, head = _split(out)
    assert head == {"fc/w", "fc/b"}
    moving = [p for p in after if "moving" in p]
    assert len(moving) > 50
    for p in after:
        if p not in head:
            np.testing.assert_array_equal(after[p], before[p], err_msg=p)
    spec = json.loads((out / "config.json").read_text())["preprocess"]
    assert spec["mean"] == [0.5] and spec["std"] == [0.5]  # Keras's "tf" mode (-1..1) on grey images, then to RGB


def test_init_from_mistakes_are_one_line_errors(trained_run, trained_digits_resnet, tmp_path, capsys):
    assert main(["train", "resnet20", "--input-shape", "16,16,1", "--epochs", "1", "--init-from", str(trained_run),
                 "--out", str(tmp_path / "a"), "--quiet"]) == 2
    assert "none of its" in capsys.readouterr().err  # a LeNet-5 run into a ResNet-20
    assert main(["train", "resnet20", "--epochs", "1", "--init-from", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "b"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", "resnet20", "--input-shape", "16,16,1", "--epochs", "1", "--freeze", "all",
                 "--out", str(tmp_path / "c"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--freeze all: resnet20 has no feature layer of that name (its blocks: conv1, stage1_block1, stage1_block2" in err


@pytest.fixture(scope="module")
def trained_digits_resnet(tmp_path_factory):
    """ResNet-20 at 16x16x1, two epochs on the ten bundled digits: the pretrained network."""
    out = tmp_path_factory.mktemp("src") / "resnet20"
    assert main(["train", "resnet20", "--input-shape", "16,16,1", "--epochs", "2", "--optimizer", "adam", "--lr", "0.003",
                 "--batch-size", "32", "--out", str(out), "--quiet"]) == 0
    return out


def test_freeze_features_leaves_only_the_head_trainable():
    import convnets
    from convnets.errors import ConfigError

    model = convnets.create_model("mobilenet_v1_mini", num_classes=3)
    everything = len(model.trainable_variables)
    x = tf.random.normal((4, *model.input_shape))
    batch_statistics = np.abs(model(x, training=True).numpy() - model(x, training=False).numpy()).max()
    model.freeze_features()
    assert sorted(v.name for v in model.trainable_variables) == ["fc/b:0", "fc/w:0"] and everything > 2
    assert model.trainable_params == 3 * model.num_features + 3
    train_mode, inference = model(x, training=True).numpy(), model(x, training=False).numpy()
    assert np.abs(train_mode - inference).max() < 1e-3 * batch_statistics  # frozen: no batch statistics
    with pytest.raises(ConfigError, match="include_top=False"):
        convnets.create_model("mobilenet_v1_mini", include_top=False).freeze_features()


def test_head_lr_factor_moves_the_classifier_that_many_times_faster():
    """SGD without momentum: one step with the head's rate at 10x moves each head weight 10x as far, and every
    other weight as far as without the factor."""
    import convnets
    from convnets.layers import init
    from convnets.optim import SGD
    from convnets.train.losses import cross_entropy

    x = tf.random.stateless_normal((8, 32, 32, 3), seed=(1, 2))
    y = tf.constant([0, 1, 2, 0, 1, 2, 0, 1], tf.int64)
    moves = []
    for factor in (None, 10.0):
        init.set_seed(3)
        model = convnets.create_model("mobilenet_v1_mini", num_classes=3)
        before = [v.numpy() for v in model.trainable_variables]
        opt = SGD(0.1, momentum=0.0)
        if factor is not None:
            opt.scale_learning_rate(model.head_variables(), factor)
        with tf.GradientTape() as tape:
            loss = cross_entropy(y, model(x, training=True))
        opt.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        moves.append({v.name + str(i): v.numpy() - b for i, (v, b) in enumerate(zip(model.trainable_variables, before))})
    plain, scaled = moves
    head = {k for k in plain if k.startswith("fc/")}
    assert len(head) == 2 and len(plain) > 2
    for k in plain:
        np.testing.assert_allclose(scaled[k], plain[k] * (10.0 if k in head else 1.0), rtol=1e-4, atol=1e-7, err_msg=k)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_a_torchvision_conversion_fine_tunes_with_a_frozen_backbone(name, two_digits, tmp_path, capsys):
    """A torchvision network (random weights: no download in tests) saved as a run, then two classes of one's
    own images with the backbone frozen: a new head learns, every backbone weight and BatchNorm statistic stays
    as converted, and the run is the same network (torchvision's padding and epsilons come with --init-from).

    Its BatchNorm statistics are first estimated on random images in PyTorch: with the initial ones (mean 0,
    variance 1) a random MobileNet v2's features shrink to 1e-9 and no head could learn from them."""
    from torch_reference import torchvision_or_skip

    from convnets.torch_port import save_torch_run

    tv = torchvision_or_skip()
    import torch

    module = getattr(tv.models, name)(weights=None)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # a cumulative average over the batches below
    module.train()
    with torch.no_grad():
        for _ in range(3):
            module(torch.rand(16, 3, 64, 64))
    source = tmp_path / name
    save_torch_run(module, str(source), size=64, weights="random")
    out = tmp_path / "tuned"
    assert main(["train", name, "--input-shape", "64,64,3", "--dataset", f"folder:{two_digits}", "--epochs", "6",
                 "--optimizer", "adam", "--lr", "0.001", "--batch-size", "32", "--init-from", str(source),
                 "--freeze", "backbone", "--out", str(out), "--quiet"]) == 0
    log = capsys.readouterr().out
    assert "fresh: fc/b (1000 there, 2 here)" in log
    before, _ = _split(source)
    after, head = _split(out)
    assert head == {"fc/w", "fc/b"}
    assert sum("moving_variance" in p for p in after) == (20 if name == "resnet18" else 52)
    for p in after:
        if p not in head:
            np.testing.assert_array_equal(after[p], before[p], err_msg=p)
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["options"] == json.loads((source / "config.json").read_text())["model"]["options"]
    assert config["preprocess"]["std"] == [pytest.approx(0.226)]  # torchvision's ImageNet std, averaged for grey
    import pandas as pd

    history = pd.read_csv(out / "history.csv")
    assert history["loss"].iloc[-3:].mean() < history["loss"].iloc[0] - 0.05  # the head learned
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]


def test_freeze_up_to_a_block_trains_only_what_follows(trained_digits_resnet, two_digits, tmp_path):
    """--freeze stage2_block1: the stem and the blocks to stage2_block1 keep their weights and statistics
    (they run in inference mode); stage2_block2 on and the head learn."""
    out = tmp_path / "tuned"
    assert main(["train", "resnet20", "--dataset", f"folder:{two_digits}", "--input-shape", "16,16,1", "--epochs", "1",
                 "--optimizer", "adam", "--lr", "0.003", "--batch-size", "16", "--init-from", str(trained_digits_resnet),
                 "--freeze", "stage2_block1", "--out", str(out), "--quiet"]) == 0
    source, _ = _split(trained_digits_resnet)
    tuned, _ = _split(out)
    model = load_run(out)[0]
    rows = convnets.layers.record_layers(model, model.input_shape)
    owner = {id(v): row["name"] for row in rows for v in row["layer"].variables}  # variable -> its layer's path
    layer_of = {path: owner[id(v)] for path, v in variables_by_path(model).items()}
    order = [row["name"] for row in rows]
    frozen = set(order[: max(i for i, n in enumerate(order) if n.startswith("stage2_block1/")) + 1])
    assert {"conv1/conv", "stage1_block3/conv2/bn", "stage2_block1/conv2/bn"} <= frozen
    for path, layer in layer_of.items():
        if layer in frozen:  # kernels, scales and moving statistics alike
            np.testing.assert_array_equal(tuned[path], source[path], err_msg=path)
    later = [p for p, layer in layer_of.items() if layer not in frozen and "moving" not in p]
    assert len(later) > 10 and all(not np.array_equal(tuned[p], source[p]) for p in later), later
