"""The ``Layer`` base class, ``Sequential``, and the recorder behind ``summary``.

A layer is a small ``tf.Module``: the constructor creates its variables from
explicit sizes (so parameters can be counted before any forward pass), and
``forward(x, training)`` does the maths. Every layer also answers two questions
for a given input shape (without the batch axis): ``output_shape`` and ``macs``
(multiply-accumulates, the unit the papers call "FLOPs" or "mult-adds").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import tensorflow as tf

Shape = tuple[int, ...]


def count_params(variables: Iterable[tf.Variable]) -> int:
    """Number of scalars in ``variables``."""
    return int(sum(math.prod(v.shape) for v in variables))


_BUILDING: set[int] = set()  # ids of layers whose __init__ is running (a subclass chain opens one scope)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


class Layer(tf.Module):
    """Base class: ``layer(x, training=False)`` calls ``forward`` and records it.

    Every ``__init__`` runs inside a name scope of the layer's name, so variables are
    named by where they sit (``stage1_block1/conv1/conv/w:0``, not ``w:0``)
    and an error about one can say which.
    """

    scope_variables = True  # False for a whole model: its layers' names are the paths ``summary`` prints

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        def scoped_init(self: Any, *args: Any, _init: Any = init, **kw: Any) -> None:
            if id(self) in _BUILDING or not self.scope_variables:  # one scope per layer; none for a model
                _init(self, *args, **kw)
                return
            _BUILDING.add(id(self))
            try:
                with tf.name_scope(kw.get("name") or _snake(type(self).__name__)):
                    _init(self, *args, **kw)
            finally:
                _BUILDING.discard(id(self))

        scoped_init.__wrapped__ = init  # type: ignore[attr-defined]  (inspect.signature sees the real one)
        scoped_init.__doc__, scoped_init.__name__, scoped_init.__qualname__ = init.__doc__, init.__name__, init.__qualname__
        cls.__init__ = scoped_init  # type: ignore[method-assign]

    # Layers are plain Python over Python values (no tensor-dependent branches): AutoGraph has
    # nothing to convert, and skipping it keeps our own errors (a wrong input shape raised while
    # tracing) as they are instead of wrapped in a StagingError.
    frozen = False  # Model.freeze_features: this layer runs in inference mode even in training
    # The layer's output is a function of its input's shape alone (convolutions, dense and normalisation
    # layers define ``output_shape`` exactly): ``record_layers(..., shapes_only=True)`` skips its maths.
    shape_only = False

    @tf.autograph.experimental.do_not_convert
    def __call__(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        if self.frozen:
            training = False
        recorder = _Recorder.active
        if recorder is None:
            return self.forward(x, training=training)
        recorder.enter(self)
        if recorder.shapes_only and self.shape_only:
            y = tf.zeros((int(x.shape[0]), *self.output_shape(tuple(int(d) for d in x.shape[1:]))), x.dtype)
        else:
            y = self.forward(x, training=training)
        recorder.exit(self, x, y)
        return y

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        raise NotImplementedError

    def output_shape(self, input_shape: Shape) -> Shape:
        """Shape of one output example for one input example of ``input_shape``."""
        return tuple(input_shape)

    def macs(self, input_shape: Shape) -> int:
        """Multiply-accumulates for one example of ``input_shape``."""
        return 0

    def window_hw(self, hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int], padding: Any) -> tuple[int, int]:
        """Output (height, width) of this layer's sliding window; too small an input names the layer."""
        from convnets.errors import InputTooSmall
        from convnets.layers.padding import normalize, output_hw

        try:
            return output_hw(hw, kernel, stride, dilation, normalize(padding) if isinstance(padding, (str, int)) else padding)
        except InputTooSmall as e:
            raise InputTooSmall(f"{self.name} sees {hw[0]}x{hw[1]}: {e}", layer=self) from None

    @property
    def trainable_params(self) -> int:
        return count_params(self.trainable_variables)

    @property
    def total_params(self) -> int:
        """Every variable, BatchNorm moving statistics included (as Keras counts)."""
        return count_params(self.variables)


class Block(Layer):
    """A layer made of other layers. ``summary`` lists its leaves, not the block."""

    def output_shape(self, input_shape: Shape) -> Shape:
        raise NotImplementedError(f"{type(self).__name__} must define output_shape")


def layer_path(root: tf.Module, layer: tf.Module) -> str | None:
    """``layer``'s path of module names inside ``root`` (``conv1/conv``), as ``summary`` prints them."""
    for path, module in root._flatten(predicate=lambda m: m is layer, with_path=True):
        names, node = [], root
        for key in path:
            node = node[key] if isinstance(key, int) else getattr(node, key)
            if isinstance(node, tf.Module) and node is not root:
                names.append(node.name)
        return "/".join(names)
    return None


def thread_shape(layers: Iterable[Layer], input_shape: Shape) -> Shape:
    """The shape after ``layers`` applied in order: each layer's ``output_shape`` of the last.

    Models use it where they need a size (a Flatten before a Dense, a classifier's
    width); an input too small for some layer fails here, naming that layer.
    """
    shape = tuple(input_shape)
    for layer in layers:
        shape = layer.output_shape(shape)
    return shape


class Sequential(Block):
    """Layers applied one after another."""

    def __init__(self, layers: Sequence[Layer], name: str | None = None):
        super().__init__(name=name)
        self.layers = list(layers)

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def output_shape(self, input_shape: Shape) -> Shape:
        return thread_shape(self.layers, input_shape)


class Lambda(Layer):
    """A parameter-free function as a layer (activations, reshapes)."""

    def __init__(self, fn: Any, name: str | None = None):
        super().__init__(name=name or getattr(fn, "__name__", "lambda"))
        self.fn = fn

    def forward(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.fn(x)


class _Recorder:
    """Collects one row per leaf layer call during an eager forward pass."""

    active: "_Recorder | None" = None

    def __init__(self, keep_outputs: bool = False, shapes_only: bool = False) -> None:
        self.stack: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.keep_outputs = keep_outputs  # feature maps and Grad-CAM need the tensors
        self.shapes_only = shapes_only  # layers with shape_only = True return zeros of their output's shape
        self.calls = 0  # layer calls entered so far: a row's "entered" orders it among the calls (diagrams)
        self.entered: list[int] = []

    def enter(self, layer: Layer) -> None:
        self.stack.append(layer.name)
        self.entered.append(self.calls)
        self.calls += 1

    def exit(self, layer: Layer, x: tf.Tensor, y: tf.Tensor) -> None:
        path = "/".join(self.stack[1:]) or layer.name  # drop the model's own name
        self.stack.pop()
        entered = self.entered.pop()
        if isinstance(layer, Block):
            # Blocks (a residual unit, a dense block) are listed only when outputs are
            # kept: their output is what a learner wants to look at; the model is not.
            if self.keep_outputs and self.stack and len(y.shape) > 1:
                self.rows.append({"name": path, "type": type(layer).__name__, "block": True,
                                  "output_shape": [int(d) for d in y.shape[1:]], "layer": layer, "output": y,
                                  "input": x, "entered": entered, "params": layer.trainable_params})
            return
        in_shape = tuple(int(d) for d in x.shape[1:])
        self.rows.append(
            {
                "name": path,
                "type": type(layer).__name__,
                "output_shape": [int(d) for d in y.shape[1:]],
                "params": layer.trainable_params,
                "total_params": layer.total_params,
                "macs": int(layer.macs(in_shape)),
                "layer": layer,
            }
        )
        if self.keep_outputs:
            self.rows[-1].update(output=y, input=x, entered=entered)

    def __enter__(self) -> "_Recorder":
        _Recorder.active = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _Recorder.active = None


def record_layers(model: Layer, input_shape: Shape, shapes_only: bool = False) -> list[dict[str, Any]]:
    """Run ``model`` eagerly on one zero example and return a row per leaf layer.

    ``shapes_only``: the convolutions, dense and normalisation layers do no arithmetic, each returning
    zeros of the shape its ``output_shape`` gives; the rest of the forward pass (adds, concatenations,
    pools) runs as usual. The rows are the same (shapes, parameters, MACs) at a fraction of the cost for a
    large model; the registry-wide test builds every model this way and compares with the numbers an
    ordinary pass gave."""
    x = tf.zeros((1, *input_shape), tf.float32)
    with _Recorder(shapes_only=shapes_only) as rec:
        model(x, training=False)
    return rec.rows


def layer_outputs(model: Layer, x: tf.Tensor, training: bool = False) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``model`` eagerly on ``x``; return its output and a row per leaf layer,
    each with the layer's ``output`` tensor (under a ``GradientTape``, differentiable)."""
    with _Recorder(keep_outputs=True) as rec:
        y = model(x, training=training)
    return y, rec.rows


