"""Looking inside: kernels, feature maps and Grad-CAM, as pictures and as numbers."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest
import tensorflow as tf

from convnets.cli import main
from convnets.errors import ConfigError
from convnets.layers import Conv2D, Dense, GlobalAvgPool, MaxPool2D, init
from convnets.layers.activations import Activation
from convnets.models import Model, create_model
from convnets.optim import make_optimizer
from convnets.train.config import TrainConfig
from convnets.train.loop import make_train_step
from convnets.viz.inside import conv_kernels, feature_maps, find_row, gradcam, plot_filters


def assert_picture(path, min_h: int, min_w: int) -> None:
    img = mpimg.imread(path)
    assert img.shape[0] >= min_h and img.shape[1] >= min_w, (path, img.shape)
    assert img[..., :3].std() > 0.05, f"{path} is blank"


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    from convnets.data import load_dataset

    ds = load_dataset("digits")
    path = tmp_path_factory.mktemp("img") / "digit.png"
    path.write_bytes(tf.io.encode_png(ds.test.images[0]).numpy())
    return path


def test_conv_kernels_of_lenet5_follow_table_1():
    kernels = dict(conv_kernels(create_model("lenet5")))
    assert list(kernels) == ["C1", "C3", "C5"]
    assert kernels["C1"].shape == (5, 5, 1, 6) and kernels["C5"].shape == (5, 5, 16, 120)
    c3 = kernels["C3"]
    assert c3.shape == (5, 5, 6, 16)
    # Table I: C3 map 0 sees S2 maps 0, 1, 2 only; map 15 sees all six.
    connected = np.abs(c3).sum(axis=(0, 1)) > 0
    assert connected[:, 0].tolist() == [True, True, True, False, False, False]
    assert connected[:, 15].all() and connected.sum() == 60


def test_conv_kernels_include_separable_convolutions():
    """Xception's separable convolutions are shown by their 3x3 depthwise kernels (one per input channel)."""
    from convnets.layers import SeparableConv2D, record_layers

    with init.zeros_only():
        model = create_model("xception_mini")
    separable = [r["name"] for r in record_layers(model, model.input_shape) if isinstance(r["layer"], SeparableConv2D)]
    kernels = dict(conv_kernels(model))
    assert separable and set(separable) <= set(kernels)
    assert all(kernels[n].shape[:2] == (3, 3) and kernels[n].shape[3] == 1 for n in separable)
    plt_fig = plot_filters(kernels[separable[0]])
    assert plt_fig.axes


def test_feature_maps_shapes_and_layer_lookup():
    model = create_model("resnet20", input_shape=(32, 32, 3))
    x = tf.random.stateless_uniform((1, 32, 32, 3), seed=(1, 2))
    name, maps = feature_maps(model, x)
    assert maps.shape == (32, 32, 16) and "conv" in name
    name, maps = feature_maps(model, x, "stage3_block3")
    assert maps.shape == (8, 8, 64)
    with pytest.raises(ConfigError, match="no layer named"):
        feature_maps(model, x, "nope")
    with pytest.raises(ConfigError, match="not feature maps"):
        feature_maps(model, x, "fc")
    with pytest.raises(ConfigError, match="ambiguous"):
        find_row([{"name": "a/relu"}, {"name": "b/relu"}], "relu")


def test_plot_filters_rgb_and_grey():
    rgb = plot_filters(np.random.default_rng(0).normal(size=(3, 3, 3, 10)))
    assert len([a for a in rgb.axes if a.images]) == 10
    grid = plot_filters(np.random.default_rng(0).normal(size=(3, 3, 4, 5)))
    assert len([a for a in grid.axes if a.images]) == 20


def test_cli_filters_features_gradcam(trained_run, digit_png, capsys, tmp_path):
    assert main(["filters", str(trained_run)]) == 0
    assert_picture(trained_run / "filters-C1.png", 150, 300)
    assert main(["filters", str(trained_run), "--layer", "C3", "--out", str(tmp_path / "c3.png")]) == 0
    assert_picture(tmp_path / "c3.png", 600, 400)
    assert main(["features", str(trained_run), str(digit_png), "--layer", "S2", "--out", str(tmp_path / "f.png")]) == 0
    assert_picture(tmp_path / "f.png", 150, 300)
    assert main(["gradcam", str(trained_run), str(digit_png), "--out", str(tmp_path / "g.png")]) == 0
    out = capsys.readouterr().out
    assert "class " in out and "probability" in out
    assert_picture(tmp_path / "g.png", 250, 700)
    assert main(["gradcam", str(trained_run), str(digit_png), "--class", "3", "--out", str(tmp_path / "g3.png")]) == 0
    assert "class 3" in capsys.readouterr().out
    # user mistakes: one line, exit 2
    assert main(["gradcam", str(trained_run), str(digit_png), "--class", "zebra"]) == 2
    assert main(["filters", str(trained_run), "--layer", "S2"]) == 2
    assert main(["features", str(trained_run), str(tmp_path / "missing.png")]) == 2
    err = capsys.readouterr().err
    assert "unknown class 'zebra'" in err and "no convolution named 'S2'" in err and "does not exist" in err


class PatchNet(Model):
    """conv-relu-pool-conv-relu-GAP-dense: detects a pattern anywhere in the image."""

    def __init__(self):
        super().__init__(2, (24, 24, 1), name="patchnet")
        self.conv1, self.relu1 = Conv2D(1, 8, 3, padding="same", name="conv1"), Activation("relu", name="relu1")
        self.pool = MaxPool2D(2, 2, name="pool")
        self.conv2, self.relu2 = Conv2D(8, 16, 3, padding="same", name="conv2"), Activation("relu", name="relu2")
        self.gap, self.fc = GlobalAvgPool(name="gap"), Dense(16, 2, name="fc")

    def forward(self, x, training=False):
        for layer in (self.conv1, self.relu1, self.pool, self.conv2, self.relu2, self.gap, self.fc):
            x = layer(x, training=training)
        return x


def patch_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise; class 1 has a bright 4x4 patch at a random place (returned), class 0 has none."""
    x = rng.uniform(0, 0.3, size=(n, 24, 24, 1)).astype(np.float32)
    y = rng.integers(0, 2, size=n)
    where = rng.integers(0, 20, size=(n, 2))
    for i in np.flatnonzero(y):
        r, c = where[i]
        x[i, r:r + 4, c:c + 4] = 1.0
    return x, y, where


def test_gradcam_finds_the_patch_that_decides_the_class():
    init.set_seed(3)
    model = PatchNet()
    rng = np.random.default_rng(0)
    opt = make_optimizer("adam", 3e-3)
    opt.build(model.trainable_variables)
    step = make_train_step(model, opt, TrainConfig(), (24, 24, 1))
    for _ in range(150):
        x, y, _ = patch_images(64, rng)
        step(tf.constant(x), tf.constant(y, tf.int64))  # (loss, top-1, top-5, images)
    x, y, where = patch_images(200, np.random.default_rng(1))
    accuracy = float((model(x).numpy().argmax(1) == y).mean())
    assert accuracy > 0.97
    hits = n = 0
    for i in np.flatnonzero(y)[:30]:
        heat, c, layer, probs = gradcam(model, x[i:i + 1], class_index=1)
        assert layer == "relu2" and heat.shape == (12, 12) and heat.max() == pytest.approx(1.0)
        r, col = np.unravel_index(heat.argmax(), heat.shape)  # a cell of the 12x12 grid = 2x2 pixels
        pr, pc = where[i]
        hits += int(pr - 2 <= 2 * r + 1 <= pr + 5 and pc - 2 <= 2 * col + 1 <= pc + 5)
        n += 1
    assert hits / n >= 0.9, f"Grad-CAM peak on the patch in {hits} of {n} images"
