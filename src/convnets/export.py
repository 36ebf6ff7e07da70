"""Export a trained run for deployment.

- SavedModel: a serving signature that takes images (pixel values 0..255, any
  size) and returns class probabilities and classes.
- TFLite: the same computation at the data set's native image size, optionally
  with int8 post-training quantisation calibrated on training images.
- ONNX: the same computation as TFLite's, converted by ``tf2onnx`` (the optional
  ``[onnx]`` extra), for ONNX Runtime and the runtimes that read ONNX.

Preprocessing is inside all three, so a deployed model takes raw pixels. Both
files are checked against the original on the test set (``compare_exported``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from convnets import import_tensorflow

tf = import_tensorflow()

from convnets.data.pipeline import PreprocessSpec, preprocess
from convnets.errors import ConfigError, ConvnetsError
from convnets.models import Model
from convnets.train.checkpoint import load_run

FORMATS = ("savedmodel", "tflite", "onnx")
ONNX_OPSET = 17  # ONNX Runtime 1.14 (2023) and later run it
QUANTIZATIONS = ("none", "int8")


class Serving(tf.Module):
    """Preprocessing + model + softmax, as one traced function."""

    def __init__(self, model: Model, spec: PreprocessSpec):
        super().__init__(name="serving")
        self.model, self.spec = model, spec
        c = spec.image_shape[2]
        self.serve = tf.function(
            self._serve, input_signature=[tf.TensorSpec((None, None, None, c), tf.float32, name="images")]
        )
        # TFLite wants static spatial sizes: the data set's native (H, W, C).
        self.serve_native = tf.function(
            self._serve, input_signature=[tf.TensorSpec((None, *spec.image_shape), tf.float32, name="images")]
        )

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        h, w, _ = self.spec.image_shape
        x = images if images.shape[1:3] == (h, w) else tf.image.resize(images, (h, w))
        probs = tf.nn.softmax(tf.cast(self.model(preprocess(x, self.spec), training=False), tf.float32))
        return {"probabilities": probs, "classes": tf.argmax(probs, axis=-1)}


def export_savedmodel(run_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the run's model as a SavedModel at ``out`` and return the path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConvnetsError(f"{out} is a file; a SavedModel is a folder (give --out a folder name, "
                            "or --format tflite for one file)")
    model, spec, _ = load_run(run_dir)
    module = Serving(model, spec)
    tf.saved_model.save(module, os.fspath(out), signatures={"serving_default": module.serve})
    return out


@contextlib.contextmanager
def quiet_tflite() -> Iterator[None]:
    """Hide what the TFLite converter and interpreter print from C++ straight to file
    descriptor 2 ("fully_quantize: 0, inference_type: 6, ...", "Created TensorFlow Lite
    XNNPACK delegate for CPU") and their Python loggers' chatter below errors: library
    internals, not news for the user. TF_CPP_MIN_LOG_LEVEL=0 shows them again."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    loggers = [logging.getLogger(n) for n in ("tensorflow", "absl")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _representative(ds: Any, n: int = 200) -> Iterator[list[np.ndarray]]:
    """Training images (raw pixels, as the TFLite model takes them) to calibrate int8 ranges."""
    from convnets.data.pipeline import raw_batches

    seen = 0
    for images, _ in raw_batches(ds, "train", 1):
        yield [images.astype(np.float32)]
        seen += 1
        if seen >= n:
            return


def export_tflite(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], quantize: str = "none",
                  data_dir: str | None = None, dataset: str | None = None) -> Path:
    """Write the run as a ``.tflite`` flatbuffer (input: native-size images 0..255; outputs
    probabilities and classes). ``quantize="int8"``: weights and activations in int8,
    calibrated on 200 training images of the run's data set, or of ``dataset`` (needed for
    a convert-keras run; see ``evaluate.run_dataset``); float input/output are kept, so callers do not change."""
    if quantize not in QUANTIZATIONS:
        raise ConfigError(f"unknown quantization {quantize!r}; expected one of {', '.join(QUANTIZATIONS)}")
    model, spec, config = load_run(run_dir)
    module = Serving(model, spec)
    fn = module.serve_native.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn], module)
    if quantize == "int8":
        from convnets.evaluate import run_dataset

        ds = run_dataset(run_dir, config, spec, dataset, data_dir)  # here, so a data error is reported as ours
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: _representative(ds)
    try:
        with quiet_tflite():
            flatbuffer = converter.convert()
    except Exception as e:  # the converter raises many types; report its first line
        raise ConvnetsError(f"TFLite conversion of {run_dir} failed: {str(e).splitlines()[0]}") from None
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(flatbuffer)
    return out


class TFLiteClassifier:
    """Runs a ``.tflite`` file from ``export_tflite`` on batches of raw images."""

    def __init__(self, path: str | os.PathLike[str]):
        if not Path(path).is_file():
            raise ConvnetsError(f"TFLite model {path} does not exist")
        try:
            # warnings: "use ai_edge_litert", the same interpreter as one more dependency
            with warnings.catch_warnings(), quiet_tflite():
                warnings.simplefilter("ignore")
                self.interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
        except ValueError as e:
            raise ConvnetsError(f"{path}: not a TFLite model ({str(e).splitlines()[0]})") from None
        self.input = self.interpreter.get_input_details()[0]
        self.outputs = {d["name"]: d for d in self.interpreter.get_output_details()}
        self.batch = None

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, C) pixels 0..255 -> (N, classes) probabilities."""
        if self.batch != len(images):
            self.interpreter.resize_tensor_input(self.input["index"], [len(images), *images.shape[1:]])
            with quiet_tflite():  # the XNNPACK delegate announces itself here
                self.interpreter.allocate_tensors()
            self.outputs = {d["name"]: d for d in self.interpreter.get_output_details()}
            self.batch = len(images)
        self.interpreter.set_tensor(self.input["index"], images.astype(np.float32))
        self.interpreter.invoke()
        probs = next(d for name, d in self.outputs.items() if "probabilities" in name or len(d["shape"]) == 2)
        return self.interpreter.get_tensor(probs["index"])


def _import_onnx() -> tuple[Any, Any]:
    """tf2onnx and onnxruntime, or our error saying how to install them (an optional extra)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import onnxruntime
            import tf2onnx
    except ImportError as e:
        raise ConvnetsError(f"ONNX export needs tf2onnx and onnxruntime ({e.name} is not installed): "
                            "pip install 'convnets[onnx]'") from None
    return tf2onnx, onnxruntime


def export_onnx(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], opset: int = ONNX_OPSET) -> Path:
    """Write the run as an ``.onnx`` file (input ``images``: native-size images 0..255, NHWC, any batch;
    outputs ``probabilities`` and ``classes``), converted from the same function as the TFLite file."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    tf2onnx, _ = _import_onnx()
    model, spec, _ = load_run(run_dir)
    module = Serving(model, spec)
    function = module.serve_native.get_concrete_function()
    # The weights become constants of the graph (tf2onnx would leave some variable reads as inputs).
    frozen = convert_variables_to_constants_v2(function)
    inputs = [t.name for t in frozen.inputs]
    outputs = [t.name for t in frozen.outputs]
    names = {inputs[0]: "images", **{t.name: key for key, t in function.structured_outputs.items()}}
    try:
        with quiet_tflite():  # tf2onnx logs every rewrite through TensorFlow's logger
            logging.getLogger("tf2onnx").setLevel(logging.ERROR)
            proto, _ = tf2onnx.convert.from_graph_def(frozen.graph.as_graph_def(), input_names=inputs,
                                                      output_names=outputs, opset=opset)
    except Exception as e:  # tf2onnx raises many types; report its first line
        raise ConvnetsError(f"ONNX conversion of {run_dir} failed: {str(e).splitlines()[0]}") from None
    _rename_tensors(proto.graph, names)  # "images:0", "Identity_1:0" -> "images", "probabilities"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(proto.SerializeToString())
    return out


def _rename_tensors(graph: Any, names: dict[str, str]) -> None:
    """Rename an ONNX graph's tensors wherever they appear (its inputs and outputs, and every node's)."""
    for value in [*graph.input, *graph.output]:
        value.name = names.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [names.get(n, n) for n in node.input]
        node.output[:] = [names.get(n, n) for n in node.output]


class OnnxClassifier:
    """Runs an ``.onnx`` file from ``export_onnx`` on batches of raw images, with ONNX Runtime."""

    def __init__(self, path: str | os.PathLike[str]):
        _, onnxruntime = _import_onnx()
        if not Path(path).is_file():
            raise ConvnetsError(f"ONNX model {path} does not exist")
        try:
            self.session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime's InvalidProtobuf / Fail
            raise ConvnetsError(f"{path}: not an ONNX model ({str(e).splitlines()[0]})") from None
        self.input = self.session.get_inputs()[0].name
        self.output = next(o.name for o in self.session.get_outputs() if "probabilities" in o.name)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, C) pixels 0..255 -> (N, classes) probabilities."""
        return self.session.run([self.output], {self.input: images.astype(np.float32)})[0]


def compare_exported(run_dir: str | os.PathLike[str], path: str | os.PathLike[str], data_dir: str | None = None,
                     limit: int | None = None, batch_size: int = 100, dataset: str | None = None) -> dict[str, Any]:
    """Test-set top-1 of an exported file (``.tflite`` or ``.onnx``) beside the original model's, and how
    often they agree (on the run's own test set, or ``dataset``'s: see ``evaluate.run_dataset``)."""
    from convnets.data.pipeline import raw_batches
    from convnets.evaluate import run_dataset

    fmt = "onnx" if Path(path).suffix == ".onnx" else "tflite"
    exported = OnnxClassifier(path) if fmt == "onnx" else TFLiteClassifier(path)
    model, spec, config = load_run(run_dir)
    ds = run_dataset(run_dir, config, spec, dataset, data_dir)
    if len(ds.test) == 0:
        raise ConvnetsError(f"{ds.name} has no test images to compare the {fmt} model on")
    original = tf.function(lambda x: model(preprocess(x, spec), training=False))
    n = agree = right_exported = right_orig = 0
    for images, labels in raw_batches(ds, "test", batch_size):
        p_exported = exported.probabilities(images).argmax(1)
        p_orig = original(tf.constant(images, tf.float32)).numpy().argmax(1)
        n += len(labels)
        agree += int((p_exported == p_orig).sum())
        right_exported += int((p_exported == labels).sum())
        right_orig += int((p_orig == labels).sum())
        if limit and n >= limit:
            break
    return {"format": fmt, "images": n, f"{fmt}_accuracy": right_exported / n, "original_accuracy": right_orig / n,
            "top1_agreement": agree / n, f"{fmt}_bytes": Path(path).stat().st_size}


def compare_tflite(run_dir: str | os.PathLike[str], tflite_path: str | os.PathLike[str],
                   data_dir: str | None = None, limit: int | None = None, batch_size: int = 100,
                   dataset: str | None = None) -> dict[str, Any]:
    """``compare_exported`` for a ``.tflite`` file (kept for its callers)."""
    return compare_exported(run_dir, tflite_path, data_dir, limit, batch_size, dataset)
