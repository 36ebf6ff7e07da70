"""``TrainConfig``: every training setting, with why its default is what it is.

Each field carries its help text and its choices or allowed range as data
(``dataclasses.fields(TrainConfig)[i].metadata``): ``__post_init__`` validates
every field from them, and ``convnets train`` builds one flag per field from them
(convnets/cli.py). This module imports no TensorFlow, so ``--help`` stays fast.
"""

from __future__ import annotations

import math
import numbers
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from convnets.errors import ConfigError

# The string fields' choices. The modules that implement them keep their own lists
# (convnets.optim.OPTIMIZERS and SCHEDULES, convnets.data.pipeline.AUGMENTATIONS, the
# COMPUTE_DTYPES of convnets.train.precision): tests/test_train.py checks that they agree.
OPTIMIZERS = ("sgd", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")
AUGMENTATIONS = ("none", "flip", "crop", "crop_flip", "altflip", "crop_altflip")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16", "auto")  # auto: resolved when training starts
AUTO_OUTCOMES = ("mixed_bfloat16", "float32")  # what "auto" can become (convnets.train.precision.resolve)
STRATEGIES = ("default", "mirrored", "multiworker")
TTA_MODES = ("none", "flip")  # test-time augmentation (convnets.train.loop.evaluate_dataset)
# What --init-from's weights keep (convnets.models.base.Model.freeze_features); any other value names the
# last feature layer to freeze, checked against the model when training starts.
FREEZE_MODES = ("none", "backbone")


@dataclass(frozen=True)
class Range:
    """The numbers a field allows: ``low`` to ``high`` (None: unbounded), each end included unless open.

    ``what`` names the kind of number in messages ("a fraction in [0, 1)")."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    what: str = ""

    def __contains__(self, x: float) -> bool:
        above = self.low is None or (x > self.low if self.low_open else x >= self.low)
        below = self.high is None or (x < self.high if self.high_open else x <= self.high)
        return above and below

    def __str__(self) -> str:
        if self.high is None:
            text = f"{'>' if self.low_open else '>='} {self.low:g}"
        elif self.low is None:
            text = f"{'<' if self.high_open else '<='} {self.high:g}"
        else:
            text = f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        return f"{self.what} {text}" if self.what else text


POSITIVE, AT_LEAST_0, AT_LEAST_1 = Range(0, low_open=True), Range(0), Range(1)
FRACTION = Range(0, 1, high_open=True)  # [0, 1)


def setting(default: Any = None, help: str = "", *, choices: tuple[str, ...] | None = None, range: Range | None = None,
            label: str | None = None, metavar: str | None = None, default_factory: Any = None) -> Any:
    """A ``TrainConfig`` field: its default and, as metadata, its ``help`` (the flag's help
    text), ``choices`` or allowed ``range``, the ``label`` messages call it by (default: its
    name) and the flag's ``metavar``."""
    metadata = {"help": help, "choices": choices, "range": range, "label": label, "metavar": metavar}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    """Every training setting, checked when made (a ``ConfigError`` names the field and what it allows)."""

    epochs: int = setting(10, "passes over the training set", range=AT_LEAST_1)
    batch_size: int = setting(128, "images per step (128 fits every mini model in a few hundred MB on a laptop)",
                              range=AT_LEAST_1, label="batch size")
    optimizer: str = setting("adam", "sgd, nesterov (SGD with Nesterov momentum), adam, adamw (decoupled weight "
                             "decay) or rmsprop", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "peak learning rate (1e-3: Adam's usual default)", range=POSITIVE, label="learning rate")
    momentum: float | None = setting(None, "for sgd, nesterov and rmsprop; unset: 0.9 for sgd and nesterov, "
                                     "none for rmsprop", range=FRACTION)
    weight_decay: float = setting(0.0, "L2 added to the gradient for sgd, nesterov, adam and rmsprop; decoupled "
                                  "(Loshchilov & Hutter 2019) for adamw", range=AT_LEAST_0)
    schedule: str = setting("constant", "learning rate over training: constant, step (times lr_factor at each of "
                            "step_epochs) or cosine (half a cosine down to 0)", choices=SCHEDULES)
    step_epochs: list[int] = setting(help="for the step schedule: the epochs at which the learning rate is "
                                     "multiplied by lr_factor, comma-separated on the command line, e.g. 30,60",
                                     range=AT_LEAST_1, default_factory=list)
    lr_factor: float = setting(0.1, "for the step schedule: what the learning rate is multiplied by at each of "
                               "step_epochs (0.1: AlexNet's and ResNet's divide by 10)",
                               range=Range(0, 1, low_open=True))
    warmup_epochs: float = setting(0.0, "linear warm-up from ~0 to the schedule over this many epochs (a fraction "
                                   "is allowed; Goyal et al. 2017)", range=AT_LEAST_0)
    label_smoothing: float = setting(0.0, "share of each target spread evenly over all classes, e.g. 0.1 "
                                     "(Szegedy et al. 2016, Sec. 7)", range=FRACTION)
    augment: str = setting("none", "random training-time augmentation: none, flip (horizontal), crop (shifts of "
                           "up to --crop-pixels, ResNet Sec. 4.2) or crop_flip; altflip and crop_altflip mirror "
                           "each image at random in even epochs and the other way in odd ones (Jordan 2024: "
                           "about a tenth fewer epochs)", choices=AUGMENTATIONS)
    crop_pixels: int = setting(4, "how far the crop augmentation shifts an image, at most, in pixels (ResNet Sec. "
                               "4.2: 4; airbench's short CIFAR-10 runs: 2)", range=AT_LEAST_1, metavar="PIXELS")
    progressive_from: int | None = setting(None, "progressive resizing (EfficientNetV2 Sec. 4; fast.ai's DAWNBench "
                                           "runs): the first half of the epochs train on images that grow linearly "
                                           "from this many pixels (the shorter side) to the model's input size, the "
                                           "rest at full size; a small epoch costs about (size/full)^2 of a full one. "
                                           "Evaluation is always at full size. For models whose classifier pools "
                                           "globally", range=AT_LEAST_1, label="the progressive start size",
                                           metavar="PIXELS")
    aux_weight: float = setting(0.3, "weight of the auxiliary classifiers' losses, for models that have them "
                                "(GoogLeNet: 0.3, Szegedy et al. 2014, Sec. 5)", range=AT_LEAST_0)
    ema: float = setting(0.0, "evaluate an exponential moving average of the weights (Polyak averaging), e.g. 0.999: "
                         "each epoch's test and the final model use the average, which the training steps "
                         "update (0: off, the last weights)", range=Range(0, 1, high_open=True, what="a number"),
                         label="the weight average's decay", metavar="DECAY")
    seed: int = setting(0, "seed for the weights, the data order, augmentation, dropout and --val-split's "
                        "held-out images", range=AT_LEAST_0)
    steps_per_call: int = setting(1, "training steps per call of the compiled function: the batches are taken "
                                  "from the input pipeline inside the graph and the loss is read once per call, "
                                  "so small networks stop waiting on Python (the same steps, the same weights; "
                                  "an interrupt and the progress bar land between calls)", range=AT_LEAST_1,
                                  metavar="K")
    jit_compile: bool = setting(False, "compile the training and evaluation steps with XLA (off by default: "
                                "compile time dominates short CPU runs)")
    fused_batch_norm: bool = setting(True, "train BatchNorm with one FusedBatchNormV3 kernel; off: the step-by-step "
                                     "ops (the same results, slower)")
    precision: str = setting("float32", "compute dtype; variables stay float32 (mixed_float16 adds loss scaling); "
                             "auto: mixed_bfloat16 where the CPU multiplies bfloat16 in hardware (AMX, AVX-512 BF16) "
                             "and no GPU is visible, else float32; config.json keeps what it became",
                             choices=PRECISIONS)
    strategy: str = setting("default", "tf.distribute: default = one device, mirrored = all local GPUs, "
                            "multiworker = the machines in $TF_CONFIG", choices=STRATEGIES)
    val_split: float = setting(0.0, "0: the per-epoch curves are the test set's, as in most papers' tables. > 0: "
                               "that share of the training set (seeded by seed, stratified) is held out for the "
                               "curves, and the test set is evaluated once, at the end, so no choice made while "
                               "watching the curves has seen it", range=Range(0, 1, high_open=True, what="a fraction"),
                               label="the validation split", metavar="FRACTION")
    train_subset: int | None = setting(None, "train on this many of the training images, a random sample that "
                                       "is the same whatever --seed (drawn with seed 0): learning from little "
                                       "data, e.g. fine-tuning against training from scratch", range=AT_LEAST_1,
                                       label="the training subset", metavar="N")
    init_from: str | None = setting(None, "start from this run directory's weights (trained here, or made by "
                                    "convert-keras or convert-torch): each variable whose place and shape agree is copied, the rest "
                                    "(a classifier for other classes) start fresh; the run keeps the source's "
                                    "input normalisation", metavar="RUN_DIR")
    freeze: str = setting("none", "backbone: train only the classifier; the feature layers keep their weights and "
                          "run in inference mode (BatchNorm statistics fixed, no dropout), as fine-tuning's first "
                          "stage does. A layer's or block's name (as `convnets summary` lists it, e.g. "
                          "conv4_block6): freeze the feature layers up to and including it, train the rest",
                          metavar="none|backbone|LAYER")
    head_lr_factor: float = setting(1.0, "the classifier's learning rate as a multiple of the other layers' (e.g. "
                                    "10 with --init-from: a fresh head learns faster than pretrained features move)",
                                    range=POSITIVE, label="the head's learning-rate factor")
    tta: str = setting("none", "test-time augmentation of the final test: flip also classifies each test image's "
                       "mirror and averages the two softmaxes; metrics.json gives it as test_accuracy_tta, beside "
                       "the plain test_accuracy, never instead of it", choices=TTA_MODES)

    def __post_init__(self) -> None:
        for f in fields(self):
            setattr(self, f.name, _checked(f.name, getattr(self, f.name), _TYPES[f.name], f.metadata))
        if self.schedule == "step" and not self.step_epochs:
            # Without milestones a step schedule is a constant rate: say so rather than run one.
            raise ConfigError("the step schedule needs step_epochs (--step-epochs E [E ...]): the epochs at which "
                              "the learning rate is multiplied by lr_factor")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def updated(self, **overrides: Any) -> "TrainConfig":
        """A copy with the non-None ``overrides`` applied."""
        d = self.to_dict()
        d.update({k: v for k, v in overrides.items() if v is not None})
        return TrainConfig.from_dict(d)


_TYPES = typing.get_type_hints(TrainConfig)
_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}


def setting_type(name: str) -> type:
    """The type field ``name`` holds, None aside: ``int``, ``float``, ``bool``, ``str`` or ``list`` (of int)."""
    hint = _optional_of(_TYPES[name]) or _TYPES[name]
    return typing.get_origin(hint) or hint


def _optional_of(hint: Any) -> Any:
    """``X`` for ``X | None``, else None."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


def _checked(name: str, value: Any, hint: Any, meta: typing.Mapping[str, Any]) -> Any:
    """``value`` as field ``name`` holds it (an int widened to float, a tuple to a list), or a ConfigError."""
    label = meta.get("label") or name
    if _optional_of(hint) is not None:
        if value is None:
            return None
        hint = _optional_of(hint)
    if typing.get_origin(hint) is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{label} must be a list of whole numbers, got {value!r} ({type(value).__name__})")
        return [_checked(f"each of {label}", v, typing.get_args(hint)[0], {**meta, "label": None}) for v in value]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = {int: number and isinstance(value, numbers.Integral), float: number}.get(hint, isinstance(value, hint))
    if not ok:
        raise ConfigError(f"{label} must be {_KINDS[hint]}, got {value!r} ({type(value).__name__})")
    if hint in (int, float):
        value = hint(value)  # a NumPy integer as an int, an int as a float
        if not math.isfinite(value):
            raise ConfigError(f"{label} must be a finite number, got {value}")
    if meta.get("choices") and value not in meta["choices"]:
        raise ConfigError(f"{label} must be one of {', '.join(meta['choices'])}, got {value!r}")
    if meta.get("range") is not None and value not in meta["range"]:
        raise ConfigError(f"{label} must be {meta['range']}, got {value}")
    return value


def ran_as_asked(ran: str, asked: str) -> bool:
    """Whether a run that computed in ``ran`` (config.json keeps what "auto" became) ran the precision ``asked``:
    "auto" is met by either of its outcomes, whichever the machine picked."""
    return ran == asked or (asked == "auto" and ran in AUTO_OUTCOMES)


def progressive_sizes(config: TrainConfig, input_shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """The training images' (H, W) for each epoch: the model's own, or with ``progressive_from`` growing
    linearly from that shorter side over the first half of the epochs (``epochs // 2`` of them), the
    aspect ratio kept; the rest of the epochs at full size, so the last ones fit the test's resolution."""
    h, w = int(input_shape[0]), int(input_shape[1])
    start, grow = config.progressive_from, config.epochs // 2
    if start is None:
        return [(h, w)] * config.epochs
    short = min(h, w)
    if start >= short:
        raise ConfigError(f"the progressive start size must be smaller than the model's input ({h}x{w}), got {start}")
    sizes = []
    for e in range(config.epochs):
        ratio = 1.0 if e >= grow else (start + (short - start) * e / grow) / short
        sizes.append((max(1, round(h * ratio)), max(1, round(w * ratio))))
    return sizes
