"""The benchmark scripts keep working: a tiny run of throughput.py, and the three
frameworks' reference models have exactly our parameter counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.parametrize("name,shape", [("lenet5_modern", (28, 28, 1)), ("resnet20", (32, 32, 3)),
                                        ("mobilenet_v1_mini", (32, 32, 3)), ("vgg_mini", (32, 32, 3)),
                                        ("alexnet_mini", (28, 28, 1)), ("nin_mini", (28, 28, 1)),
                                        ("squeezenet_mini", (28, 28, 1)), ("efficientnet_mini", (28, 28, 1)),
                                        ("mobilenet_v3_mini", (28, 28, 1)), ("preact_resnet20", (28, 28, 1)),
                                        ("wrn10_2", (28, 28, 1)), ("se_resnet20", (28, 28, 1))])
def test_keras_reference_models_match_ours(name, shape):
    import numpy as np
    from reference_models import keras_model

    import convnets

    ours = convnets.create_model(name, input_shape=shape, num_classes=10)
    theirs = keras_model(name, shape, 10)
    assert int(sum(np.prod(w.shape) for w in theirs.trainable_weights)) == ours.trainable_params


def test_torch_reference_models_match_ours():
    torch = pytest.importorskip("torch")  # a benchmark-only extra: pip install -e '.[bench]'
    from reference_models import torch_model

    import convnets

    for name, shape, options in (("lenet5_modern", (28, 28, 1), {}), ("resnet20", (32, 32, 3), {}),
                                 ("mobilenet_v1_mini", (32, 32, 3), {}), ("vgg_mini", (32, 32, 3), {}),
                                 ("alexnet_mini", (28, 28, 1), {}), ("nin_mini", (28, 28, 1), {}),
                                 ("squeezenet_mini", (28, 28, 1), {}), ("efficientnet_mini", (28, 28, 1), {}),
                                 ("mobilenet_v3_mini", (28, 28, 1), {}), ("preact_resnet20", (28, 28, 1), {}),
                                 ("wrn10_2", (28, 28, 1), {}), ("se_resnet20", (28, 28, 1), {}),
                                 ("resnet50", (224, 224, 3), {"conv_bias": True})):
        with convnets.layers.init.zeros_only():
            ours = convnets.create_model(name, input_shape=shape, num_classes=10, **options)
        theirs = torch_model(name, shape, 10)
        assert sum(p.numel() for p in theirs.parameters()) == ours.trainable_params, name
        assert torch.is_tensor(theirs(torch.zeros(2, shape[2], shape[0], shape[1])))


def test_alexnet_mini_twins_compute_what_ours_does():
    """With our weights copied in, the Keras and PyTorch AlexNet minis give our logits: the same LRN (PyTorch's
    alpha is per channel in the window), the same two groups, the same layer order."""
    import numpy as np
    from reference_models import keras_model

    import convnets

    shape = (28, 28, 1)
    ours = convnets.create_model("alexnet_mini", input_shape=shape, num_classes=10)
    x = np.random.default_rng(0).normal(size=(4, *shape)).astype(np.float32)
    want = ours(x).numpy()
    layers = [ours.conv1, ours.conv2, ours.conv3, ours.conv4, ours.conv5, ours.fc6, ours.fc7, ours.fc8]
    weights = [[layer.w.numpy(), layer.b.numpy()] for layer in layers]
    keras = keras_model("alexnet_mini", shape, 10)
    keras.set_weights([a for pair in weights for a in pair])
    np.testing.assert_allclose(keras.predict_on_batch(x), want, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    from reference_models import torch_model

    model = torch_model("alexnet_mini", shape, 10).eval()
    params = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    h, w, c = ours.feature_shape(shape)
    with torch.no_grad():
        for m, (kernel, bias) in zip(params, weights):
            if kernel.ndim == 4:
                kernel = kernel.transpose(3, 2, 0, 1)  # HWIO -> OIHW
            elif m is params[5]:  # fc6 reads a channels-first flattening of pool5
                kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1).T
            else:
                kernel = kernel.T
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            m.bias.copy_(torch.from_numpy(bias))
        got = model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_nin_mini_twins_compute_what_ours_does(shape):
    """With our weights copied in, the Keras and PyTorch NiN minis give our logits: TensorFlow's 'same' pools (the
    odd pixel padded after; the average over the pixels inside), which the PyTorch twin pads by hand."""
    import numpy as np
    from reference_models import keras_model

    import convnets

    ours = convnets.create_model("nin_mini", input_shape=shape, num_classes=10)
    x = np.random.default_rng(0).normal(size=(4, *shape)).astype(np.float32)
    want = ours(x).numpy()
    layers = [getattr(getattr(ours, f"mlpconv{i}"), part) for i in (1, 2, 3) for part in ("conv", "cccp1", "cccp2")]
    weights = [[layer.w.numpy(), layer.b.numpy()] for layer in layers]
    keras = keras_model("nin_mini", shape, 10)
    keras.set_weights([a for pair in weights for a in pair])
    np.testing.assert_allclose(keras.predict_on_batch(x), want, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    from reference_models import torch_model

    model = torch_model("nin_mini", shape, 10, dropout=0.0).eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        for m, (kernel, bias) in zip(convs, weights, strict=True):
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))  # HWIO -> OIHW
            m.bias.copy_(torch.from_numpy(bias))
        got = model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_squeezenet_mini_twins_compute_what_ours_does(shape):
    """With our kernels copied in (BatchNorm fresh in all three: the identity in inference), the Keras and PyTorch
    SqueezeNet minis give our logits: Caffe's pools (one pixel padded after), the 1x1 maps before the 3x3 ones."""
    import numpy as np
    from reference_models import keras_model

    import convnets

    ours = convnets.create_model("squeezenet_mini", input_shape=shape, num_classes=10)
    x = np.random.default_rng(0).normal(size=(4, *shape)).astype(np.float32)
    want = ours(x).numpy()
    convs = [ours.conv1.conv] + [getattr(f, part).conv for f in ours.layers[1:] if hasattr(f, "squeeze1x1")
                                 for part in ("squeeze1x1", "expand1x1", "expand3x3")] + [ours.conv10]
    kernels = [layer.w.numpy() for layer in convs]
    keras = keras_model("squeezenet_mini", shape, 10)
    import keras as K

    keras_convs = [layer for layer in keras.layers if isinstance(layer, K.layers.Conv2D)]
    for layer, kernel in zip(keras_convs, kernels, strict=True):
        layer.kernel.assign(kernel)  # conv10's bias: zero in both
    np.testing.assert_allclose(keras.predict_on_batch(x), want, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    from reference_models import torch_model

    model = torch_model("squeezenet_mini", shape, 10).eval()
    torch_convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        for m, kernel in zip(torch_convs, kernels, strict=True):
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
        got = model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def assert_twins_compute_what_ours_does(name, shape, ours, weights):
    """Our (kernel, bias) pairs, in the order the network applies them (a 1x1 convolution's kernel 4-D, a bias
    None where the layer has none), copied into the Keras and PyTorch twins: both give our logits (BatchNorm
    fresh in all three)."""
    import keras as K
    import numpy as np
    from reference_models import keras_model

    x = np.random.default_rng(0).normal(size=(4, *shape)).astype(np.float32)
    want = ours(x).numpy()
    keras = keras_model(name, shape, 10)
    kinds = (K.layers.Conv2D, K.layers.DepthwiseConv2D, K.layers.Dense)
    for layer, (kernel, bias) in zip([l for l in keras.layers if isinstance(l, kinds)], weights, strict=True):
        layer.set_weights([kernel] if bias is None else [kernel, bias])
    np.testing.assert_allclose(keras.predict_on_batch(x), want, rtol=1e-4, atol=1e-4)
    torch = pytest.importorskip("torch")
    from reference_models import torch_model

    model = torch_model(name, shape, 10).eval()
    layers = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for m, (kernel, bias) in zip(layers, weights, strict=True):
            if kernel.ndim == 2:
                kernel = kernel.T
            elif m.groups > 1:  # depthwise: (k, k, C, 1) -> (C, 1, k, k)
                kernel = kernel.transpose(2, 3, 0, 1)
            else:  # HWIO -> OIHW
                kernel = kernel.transpose(3, 2, 0, 1)
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            if bias is not None:
                m.bias.copy_(torch.from_numpy(bias))
        got = model(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def se_weights(se):
    """A squeeze-and-excite block's two fully connected layers as the twins' 1x1 convolutions."""
    return [(fc.w.numpy()[None, None], fc.b.numpy()) for fc in (se.fc1, se.fc2)]


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_efficientnet_mini_twins_compute_what_ours_does(shape):
    """EfficientNet's twins: TensorFlow's 'same' padding of the stride-2 layers (PyTorch's twin pads by hand),
    the squeeze-and-excite gate between the depthwise and the projecting convolution, swish but in the projection."""
    import convnets

    ours = convnets.create_model("efficientnet_mini", input_shape=shape, num_classes=10)
    weights = [(ours.stem.conv.w.numpy(), None)]
    for block in ours.blocks:
        weights += [(block.expand.conv.w.numpy(), None)] if block.expand is not None else []
        weights += [(block.dwconv.conv.w.numpy(), None), *se_weights(block.se), (block.project.conv.w.numpy(), None)]
    weights += [(ours.top.conv.w.numpy(), None), (ours.fc.w.numpy(), ours.fc.b.numpy())]
    assert_twins_compute_what_ours_does("efficientnet_mini", shape, ours, weights)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_mobilenet_v3_mini_twins_compute_what_ours_does(shape):
    """MobileNet v3's twins: hard-swish and ReLU where Table 2 puts them, squeeze-and-excite with a hard-sigmoid
    gate on the blocks that have it, no expansion in the first block, the 1x1 "conv" after the pool (Sec. 5.3)."""
    import convnets

    ours = convnets.create_model("mobilenet_v3_mini", input_shape=shape, num_classes=10)
    weights = [(ours.conv1.conv.w.numpy(), None)]
    for block in ours.blocks:
        weights += [(block.expand.conv.w.numpy(), None)] if block.expand is not None else []
        weights += [(block.depthwise.conv.w.numpy(), None), *(se_weights(block.se) if block.se is not None else []),
                    (block.project.conv.w.numpy(), None)]
    weights += [(ours.conv_last.conv.w.numpy(), None), (ours.head.w.numpy(), ours.head.b.numpy()),
                (ours.fc.w.numpy(), ours.fc.b.numpy())]
    assert_twins_compute_what_ours_does("mobilenet_v3_mini", shape, ours, weights)


@pytest.mark.parametrize("name", ["resnet20", "se_resnet20", "preact_resnet20", "wrn10_2"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_cifar_resnet_twins_compute_what_ours_does(name, shape):
    """ResNet-20 and its variants' twins: option A's zero-padded shortcut (half the new channels before, half
    after), the SE gate on the residual before the addition, the pre-activation unit with its last BN-ReLU after
    the final addition, and WRN's 1x1 projection of the pre-activated input where the shape changes."""
    import convnets

    def kernel(layer):  # a Conv2D's, or a ConvBN's convolution's (the pre-activation units' conv2 has no BN)
        return getattr(layer, "conv", layer).w.numpy(), None

    ours = convnets.create_model(name, input_shape=shape, num_classes=10)
    weights = [kernel(ours.conv1)]
    for block in ours.blocks:
        weights += [kernel(block.conv1)]
        weights += [kernel(block.shortcut)] if getattr(block, "projection", False) else []  # Keras's order
        weights += [kernel(block.conv2)]
        weights += se_weights(block.se) if hasattr(block, "se") else []
    weights += [(ours.fc.w.numpy(), ours.fc.b.numpy())]
    assert_twins_compute_what_ours_does(name, shape, ours, weights)


@pytest.mark.parametrize("name,shape", [("lenet5_modern", (28, 28, 1)), ("vgg_mini", (32, 32, 3)),
                                        ("alexnet_mini", (28, 28, 1)), ("nin_mini", (28, 28, 1)),
                                        ("squeezenet_mini", (28, 28, 1)), ("efficientnet_mini", (28, 28, 1)),
                                        ("mobilenet_v3_mini", (28, 28, 1)), ("resnet20", (28, 28, 1)),
                                        ("se_resnet20", (28, 28, 1)), ("preact_resnet20", (28, 28, 1)),
                                        ("wrn10_2", (28, 28, 1))])
def test_time_to_accuracy_models_start_from_our_initialisation(name, shape):
    """The race's three models draw their kernels from the same distributions (each kernel's std within four
    standard errors of ours, a tolerance that narrows with the kernel's size: a 3x3x1x16 kernel's 144 draws
    vary by ~6%) and start with zero biases. Seeded, so a run is repeatable."""
    import keras
    import numpy as np
    from reference_models import keras_model, torch_model

    import convnets
    from convnets.layers import init

    def stds(arrays):  # each kernel's (ndim >= 2) size and std, smallest first (kernels of one size by their std)
        arrays = [np.asarray(a) for a in arrays]
        return np.array(sorted((a.size, a.std()) for a in arrays if a.ndim >= 2))

    def assert_same_draws(theirs, ours):
        np.testing.assert_array_equal(theirs[:, 0], ours[:, 0])  # the same kernel sizes
        tolerance = 4 / np.sqrt(2 * ours[:, 0])  # the relative standard error of a sample std is ~1/sqrt(2n)
        assert np.all(np.abs(theirs[:, 1] / ours[:, 1] - 1) <= tolerance), (theirs, ours)

    init.set_seed(0)
    ours = stds(v.numpy() for v in convnets.create_model(name, input_shape=shape, num_classes=10).trainable_variables)
    keras.utils.set_random_seed(0)
    assert_same_draws(stds(w.numpy() for w in keras_model(name, shape, 10).trainable_weights), ours)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch_model(name, shape, 10)
    assert_same_draws(stds(p.detach().numpy() for p in model.parameters()), ours)
    biases = [m.bias for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None]
    assert all(not b.detach().numpy().any() for b in biases)


def test_throughput_script_runs(tmp_path):
    out = tmp_path / "t.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--models", "lenet5_modern",
                           "--frameworks", "convnets,keras", "--rounds", "1", "--steps-scale", "0.05",
                           "--json", str(out), "--no-docs"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    r = report["results"][0]
    assert report["peak_flops"] > 1e9 and r["model"] == "lenet5_modern" and r["params"] == 61_706
    assert set(r["variants"]) == {"convnets", "convnets (XLA)", "Keras", "Keras (jit)"}
    assert all(v["train_ips"] > 0 and v["infer_ips"] > 0 for v in r["variants"].values())
    assert "| lenet5_modern |" in proc.stdout


def test_time_to_accuracy_script_runs(tmp_path, data_dir):
    out = tmp_path / "tta.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "time_to_accuracy.py"), "--task", "lenet5_mnist",
                           "--frameworks", "convnets", "--subset", "2000", "--epochs", "2", "--target", "0.5",
                           "--data-dir", str(data_dir), "--json", str(out), "--md", str(tmp_path / "tta.md")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["subset"] == 2000 and report["machine"]["cores"] > 0
    assert not (tmp_path / "tta.md").exists()  # a subset run is a check, not a result for the docs
    assert "| lenet5_mnist | convnets | 0.500 |" in proc.stdout
    (r,) = report["results"]
    assert r["reached"] and r["epochs"] >= 1 and r["seconds"] > 0 and r["train_images"] == 2000
    assert r["best_accuracy"] >= 0.5


def test_time_to_accuracy_keeps_the_races_it_did_not_run():
    """Racing one task again replaces that task's results and keeps every other task's, in TASKS' order;
    a subset check's results are never merged into a real report."""
    import time_to_accuracy as tta

    def res(task: str, fw: str, seconds: float) -> dict:
        return {"task": task, "framework": fw, "seconds": seconds}

    before = {"subset": None, "results": [res("lenet5_mnist", "convnets", 16.0), res("vgg_mini_fashion", "convnets", 110.0),
                                          res("vgg_mini_fashion", "keras", 184.0)]}
    now = [res("resnet20_fashion", "convnets", 300.0), res("vgg_mini_fashion", "convnets", 95.0)]
    got = tta.merged(before, now)
    assert [(r["task"], r["framework"], r["seconds"]) for r in got] == [
        ("lenet5_mnist", "convnets", 16.0), ("vgg_mini_fashion", "convnets", 95.0),
        ("vgg_mini_fashion", "keras", 184.0), ("resnet20_fashion", "convnets", 300.0)]
    assert tta.merged({"subset": 2000, "results": before["results"]}, now) == now


def test_time_to_accuracy_follows_the_recipes_in_every_framework(tmp_path, data_dir):
    """The race takes each task's settings from convnets.recipes, and its warm-up-into-cosine rate is the
    library's own schedule; Keras trains on the same recipe (AdamW, label smoothing, flips) beside ours."""
    import time_to_accuracy as tta

    from convnets.optim import make_schedule
    from convnets.recipes import recipe_for

    task = tta.task_settings("vgg_mini_fashion")
    r = recipe_for("vgg_mini", "fashion_mnist")
    assert (task["optimizer"], task["lr"], task["batch"], task["epochs"], task["flip"]) == (
        r.optimizer, r.lr, r.batch_size, r.epochs, r.augment == "flip")
    steps = 235
    ours = make_schedule("cosine", task["lr"], steps * task["epochs"], steps, warmup_epochs=task["warmup_epochs"])
    rates = tta.learning_rates(task, steps)  # what the Keras and PyTorch runners set, step by step
    assert rates.shape == (steps * task["epochs"],)
    for step in (0, 1, 100, 234, 235, 1000, 2349):
        assert rates[step] == pytest.approx(float(ours(step)), rel=1e-5, abs=1e-8)
    out = tmp_path / "tta.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "time_to_accuracy.py"), "--task", "vgg_mini_fashion",
                           "--frameworks", "convnets,keras", "--subset", "3000", "--epochs", "2", "--target", "1.0",
                           "--data-dir", str(data_dir), "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text())["results"]
    assert [r["framework"] for r in results] == ["convnets", "keras"]
    for res in results:
        assert res["recipe"]["optimizer"] == "adamw" and res["recipe"]["label_smoothing"] == 0.1
        assert [c["epoch"] for c in res["curve"]] == [1, 2]  # a target of 100% is never reached: both epochs ran
        assert 0.25 < res["best_accuracy"] < 1.0  # 3,000 images, 24 steps: past chance (10%) in both


def test_profile_ops_shows_backward_convolutions_on_onednn(tmp_path):
    """The per-kernel profile runs, and with oneDNN on no convolution falls back to Eigen's
    kernels (padding="EXPLICIT" once sent ResNet-20's backward convolutions there, 2x slower)."""
    from convnets.machine import onednn_enabled

    out = tmp_path / "p.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "profile_ops.py"), "--model", "resnet20",
                           "--batch", "8", "--steps", "1", "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    ours = report["convnets"]["kernels_ms"]
    assert report["convnets"]["wall_ms"] > 0 and report["Keras"]["kernels_ms"]
    convs = {k for k in ours if "Conv2D" in k}
    assert any("BackpropFilter" in k for k in convs) and any("BackpropInput" in k for k in convs), convs
    if onednn_enabled():
        assert all(k.startswith("_Mkl") for k in convs), convs
        assert any("FusedBatchNorm" in k for k in ours), sorted(ours)
    assert "wall time per step" in proc.stdout


def test_end_to_end_script_runs(tmp_path, data_dir):
    """A tiny run of the whole-job benchmark: the convnets command line, Keras fit and the PyTorch loop
    each train, and the ratios in the JSON are the ones their medians give."""
    from conftest import extra_or_skip

    extra_or_skip("torch")
    out = tmp_path / "e2e.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "end_to_end.py"), "--train-subset", "512",
                           "--epochs", "1", "--repeats", "1", "--data-dir", str(data_dir), "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["settings"]["train_subset"] == 512 and report["machine"]["cores"] > 0
    med, ratios = report["medians"], report["ratios"]
    assert set(med) == {"convnets K=1", "convnets K=16", "Keras spe=1", "Keras spe=32", "PyTorch"}
    assert all(m["images_per_second"] > 0 and m["job_images_per_second"] > 0 for m in med.values())
    assert {r["params"] for r in report["runs"]} == {61_706} and len(report["runs"]) == 5
    assert all(r["images"] == 512 for r in report["runs"])
    assert not next(r for r in report["runs"] if r["variant"] == "PyTorch")["tensorflow_imported"]
    keras = max(med["Keras spe=1"]["images_per_second"], med["Keras spe=32"]["images_per_second"])
    for k in ("convnets K=1", "convnets K=16"):
        assert ratios[f"{k} / Keras"] == pytest.approx(med[k]["images_per_second"] / keras)
        assert ratios[f"{k} / PyTorch"] == pytest.approx(med[k]["images_per_second"] / med["PyTorch"]["images_per_second"])
        phases = report["phases"][k]["phases"]  # the job's phases, timed once more
        assert phases["training epochs"] > 0 and phases["evaluation"] > 0 and phases["import"] > 0
    assert "| convnets K=1 / PyTorch |" in proc.stdout
