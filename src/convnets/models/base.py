"""``Model``: the top-level network every builder returns, and its one surface.

Every model is a feature extractor followed by a classifier head, as Keras
Applications builds them:

    model(x)                        logits, (N, num_classes)
    include_top=False, pooling=None the last feature map, (N, h, w, num_features)
    include_top=False, pooling="avg" (or "max") pooled features, (N, num_features)

A family writes three things: ``forward_features`` (stem and stages), ``forward_head``
(the classifier on the feature map: a global pool and a Dense, or the Flatten and
dense layers of LeNet, AlexNet and VGG) and ``feature_shape`` (the feature map's
shape for an input shape, usually ``thread_shape`` over its layers). ``Model`` does
the rest once: ``include_top``/``pooling``, ``output_shape``, ``num_features``, and
checking what it is given before any op runs (a oneDNN kernel handed the wrong
rank aborts the process; a grouped convolution silently accepts the wrong channels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf

from convnets.errors import ConfigError, ConvnetsError, InputError, InputTooSmall
from convnets.layers.base import Block, Shape
from convnets.layers.pool import GlobalAvgPool, GlobalMaxPool

if TYPE_CHECKING:
    from convnets.models.registry import ModelInfo

__all__ = ["InputTooSmall", "Model", "smallest_input"]

POOLINGS = (None, "avg", "max")


class Model(Block):
    """A network: ``model(images, training=False)`` returns logits (or features).

    ``input_shape`` is (H, W, C) without the batch axis: the model takes exactly
    that shape (build another with ``create_model(name, input_shape=...)`` for
    another size). ``config`` holds what ``create_model`` was called with, so a run
    directory can rebuild the model.
    """

    num_features: int = 0  # channels of the last feature map (what a new head would take)
    scope_variables = False  # variables are named by layer path, as summary prints them

    def __init__(self, num_classes: int, input_shape: Shape, name: str | None = None, *,
                 include_top: bool = True, pooling: str | None = None):
        super().__init__(name=name)
        if not isinstance(include_top, bool):
            raise ConfigError(f"include_top must be True or False, got {include_top!r}")
        if pooling not in POOLINGS:
            raise ConfigError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
        self.num_classes = int(num_classes)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.include_top = include_top
        self.pooling = pooling
        # include_top=False: the features as they are, or pooled over the grid (Keras's ``pooling``).
        self.feature_pool = {None: None, "avg": GlobalAvgPool(name="avg_pool"), "max": GlobalMaxPool(name="max_pool")}[pooling]
        self.config: dict[str, Any] = {}

    # --- what a family defines -------------------------------------------------------
    def forward_features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Stem and stages: the last feature map, (N, h, w, num_features)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward_features")

    def forward_head(self, x: tf.Tensor, training: bool = False) -> Any:
        """The classifier on the feature map: logits (GoogLeNet adds its aux logits in training)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward_head")

    def feature_shape(self, input_shape: Shape) -> Shape:
        """Shape of the last feature map for one input of ``input_shape``."""
        raise NotImplementedError(f"{type(self).__name__} must define feature_shape")

    def training_only(self) -> list[tuple[Block, Shape]]:
        """Blocks that run only when ``training=True`` (GoogLeNet's auxiliary heads), each with its
        input shape, so ``summarize`` can list them; none by default."""
        return []

    # --- what Model does once ------------------------------------------------------------
    frozen_features = False  # freeze_features(): the feature layers neither learn nor update statistics

    def freeze_features(self, upto: str | None = None) -> None:
        """Train only the classifier (fine-tuning's first stage, Keras's transfer-learning guide): the
        variables ``forward_features`` reads leave ``trainable_variables``, and the feature layers run in
        inference mode even when ``training=True`` (BatchNorm keeps its moving statistics; no dropout).

        ``upto``: freeze only the feature layers up to and including this one, by its path in
        ``summarize`` ("conv3_block4", "block_6/expand"; a block freezes all its layers); the later ones
        train as usual."""
        if not self.include_top:
            raise ConfigError(f"{self.config.get('name', self.name)} was built with include_top=False: with its "
                              "features frozen nothing would train")
        if upto is None:
            self._frozen = frozenset(id(v) for v in self.feature_variables())
            self.frozen_features = True
            return
        from convnets.layers.base import _Recorder

        with _Recorder() as rec:  # the feature layers, in the order forward_features runs them
            rec.enter(self)  # paths as record_layers gives them (the model's own name dropped)
            self.forward_features(tf.zeros((1, *self.input_shape)), training=False)
        names = [row["name"] for row in rec.rows]
        hits = [i for i, n in enumerate(names) if n == upto or n.startswith(upto.rstrip("/") + "/")]
        if not hits:
            blocks = list(dict.fromkeys(n.split("/")[0] for n in names))
            shown = ", ".join(blocks[:6]) + (f", ..., {blocks[-1]}" if len(blocks) > 6 else "")
            raise ConfigError(f"--freeze {upto}: {self.config.get('name', self.name)} has no feature layer of that "
                              f"name (its blocks: {shown}; `convnets summary` lists every layer)")
        frozen = [row["layer"] for row in rec.rows[: hits[-1] + 1]]
        for layer in frozen:
            layer.frozen = True
        self._frozen = frozenset(id(v) for layer in frozen for v in layer.trainable_variables)

    _training_sizes: frozenset[tuple[int, int]] = frozenset()  # allow_training_size's other sizes

    def allow_training_size(self, size: tuple[int, int]) -> None:
        """Let the model take (H, W) images besides its own (progressive resizing trains on smaller images
        first). A ``ConfigError`` if it cannot: its classifier flattens a map of the built size (LeNet,
        AlexNet, VGG), its features do not shrink that far, or it has training-only heads built for its size."""
        h, w = int(size[0]), int(size[1])
        if (h, w) == tuple(self.input_shape[:2]) or (h, w) in self._training_sizes:
            return
        name = self.config.get("name", self.name)
        why = f"{name} cannot train on {h}x{w} images (progressive resizing)"
        if self.training_only():
            raise ConfigError(f"{why}: its auxiliary classifiers are built for {self.input_shape[0]}x"
                              f"{self.input_shape[1]} maps")
        try:
            small = self.feature_shape((h, w, self.input_shape[2]))
        except InputTooSmall as e:
            raise ConfigError(f"{why}: {e}") from None
        self._training_sizes = self._training_sizes | {(h, w)}
        try:  # one image through the whole network: a classifier on a fixed-size map fails here
            out = self(tf.zeros((1, h, w, self.input_shape[2])), training=False)
            if self.include_top and tuple(out.shape) != (1, self.num_classes):
                raise ValueError(f"output shape {tuple(out.shape)}")
        except (ConvnetsError, ValueError, tf.errors.OpError):
            self._training_sizes = self._training_sizes - {(h, w)}
            full = "x".join(map(str, self.feature_shape(self.input_shape)))
            raise ConfigError(f"{why}: its classifier takes the {full} feature map of the "
                              f"{self.input_shape[0]}x{self.input_shape[1]} input it was built for, and "
                              f"{h}x{w} images give {'x'.join(map(str, small))}") from None

    def _frozen_ids(self) -> frozenset[int]:
        return getattr(self, "_frozen", frozenset())

    def feature_variables(self) -> list[tf.Variable]:
        """The trainable variables of the feature layers (stem and stages): those ``forward_features`` reads.
        The others (``head_variables``) are the classifier's."""
        with tf.GradientTape(watch_accessed_variables=True) as tape:
            self.forward_features(tf.zeros((1, *self.input_shape)), training=False)
        return list(tape.watched_variables())

    def head_variables(self) -> list[tf.Variable]:
        """The classifier's trainable variables (what a new data set's head replaces)."""
        features = {id(v) for v in self.feature_variables()}
        return [v for v in tf.Module.trainable_variables.fget(self) if id(v) not in features]

    @property
    def trainable_variables(self) -> tuple[tf.Variable, ...]:
        variables = super().trainable_variables
        frozen = self._frozen_ids()
        return tuple(v for v in variables if id(v) not in frozen) if frozen else variables

    def forward(self, x: tf.Tensor, training: bool = False) -> Any:
        x = self.forward_features(x, training=False if self.frozen_features else training)
        if self.include_top:
            return self.forward_head(x, training=training)
        return x if self.feature_pool is None else self.feature_pool(x)

    def output_shape(self, input_shape: Shape | None = None) -> Shape:
        features = self.feature_shape(tuple(input_shape or self.input_shape))
        if self.include_top:
            return (self.num_classes,)
        return features if self.pooling is None else (features[-1],)

    @tf.autograph.experimental.do_not_convert  # keep our InputError as it is when traced (see Layer.__call__)
    def __call__(self, x: Any, training: bool = False) -> Any:
        if not isinstance(training, bool) and not (isinstance(training, tf.Tensor) and training.dtype == tf.bool):
            raise InputError(f"training must be True or False, got {training!r}")
        return super().__call__(self.check_input(x), training=training)

    def check_input(self, x: Any) -> tf.Tensor:
        """``x`` as a tensor, after checking it is a float batch of the shape the model was built for."""
        name = self.config.get("name", self.name)
        want = "x".join(map(str, self.input_shape))
        if not isinstance(x, (tf.Tensor, tf.Variable)):
            if isinstance(x, (list, tuple)):
                x = np.asarray(x)
            if not hasattr(x, "dtype") or not hasattr(x, "shape"):
                raise InputError(f"{name} expects a batch of images, an array of shape (N, {want.replace('x', ', ')}); "
                                 f"got {type(x).__name__}")
            x = tf.convert_to_tensor(x)
        dtype = tf.as_dtype(x.dtype)
        if not dtype.is_floating:
            hint = " (images of 0..255: convert with x.astype('float32') / 255, or the run's own preprocessing)" \
                if dtype == tf.uint8 else ""
            raise InputError(f"{name} expects float images, got dtype {dtype.name}{hint}")
        if dtype == tf.float64:  # NumPy's default float: the variables are float32
            x = tf.cast(x, tf.float32)
        shape = x.shape
        if shape.rank is not None and shape.rank != 4:
            got = tuple(shape.as_list())
            if shape.rank == 3 and tuple(d for d in got) == self.input_shape:
                raise InputError(f"{name} expects a batch (N, {want.replace('x', ', ')}); got one image of shape {got}: "
                                 f"add the batch axis with x[None]")
            raise InputError(f"{name} expects a 4-D batch (N, H, W, C) = (N, {want.replace('x', ', ')}); "
                             f"got shape {got}")
        if shape.rank == 4:
            n, h, w, c = shape.as_list()
            if n == 0:
                raise InputError(f"{name} was given an empty batch (shape {tuple(shape.as_list())})")
            if c is not None and c != self.input_shape[2]:
                hint = ""
                if (h, w, c) == (self.input_shape[2], *self.input_shape[:2]) or h == self.input_shape[2]:
                    hint = "; that looks like channels-first (N, C, H, W): convnets is channels-last, " \
                           "use x.transpose(0, 2, 3, 1)"
                raise InputError(f"{name} was built for {self.input_shape[2]}-channel input, got {c} channels "
                                 f"(shape {tuple(shape.as_list())}){hint}")
            wrong = (h is not None and h != self.input_shape[0]) or (w is not None and w != self.input_shape[1])
            if wrong and (h, w) not in self._training_sizes:
                raise InputError(f"{name} was built for {want} inputs, got {h}x{w}x{c}; build one for that size with "
                                 f"create_model({name!r}, input_shape=({h}, {w}, {c}))")
        return x


def smallest_input(info: ModelInfo, shape: Shape, options: dict[str, Any]) -> int | None:
    """The smallest square input (side in pixels) the model of ``info`` takes, with ``shape``'s channels.

    Built once at the default size (zeros only, so cheap), then the feature part's
    shapes are threaded for growing sizes: only the arithmetic runs, no op.
    """
    from convnets.layers import init

    default = info.input_shape
    try:
        with init.zeros_only():
            model = info.builder(num_classes=info.num_classes, input_shape=(*default[:2], shape[2]), **options)
    except Exception:  # noqa: BLE001  (the search is only a hint for the error message)
        return None
    for side in range(1, max(default[:2]) + 1):
        try:
            model.feature_shape((side, side, shape[2]))
        except InputTooSmall:
            continue
        except Exception:  # noqa: BLE001
            return None
        return side
    return None
