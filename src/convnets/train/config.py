"""``TrainConfig``: every training knob, with a comment on why its default is what it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from convnets.errors import ConfigError


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multiworker")


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128  # fits every mini model in a few hundred MB on a laptop
    optimizer: str = "adam"  # sgd | nesterov | adam | adamw | rmsprop
    lr: float = 1e-3  # Adam's usual default
    momentum: float | None = None  # None: 0.9 for SGD, none for RMSProp
    weight_decay: float = 0.0
    schedule: str = "constant"  # constant | step | cosine
    step_epochs: list[int] = field(default_factory=list)  # for "step": epochs at which lr *= lr_factor
    lr_factor: float = 0.1
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    augment: str = "none"  # none | flip | crop | crop_flip
    aux_weight: float = 0.3  # GoogLeNet's auxiliary classifiers (Szegedy et al. 2014, Sec. 5)
    seed: int = 0
    jit_compile: bool = False  # XLA; off by default since compile time dominates short CPU runs
    fused_batch_norm: bool = True  # BatchNorm trains with one FusedBatchNormV3 kernel; False: the step-by-step ops
    precision: str = "float32"  # float32 | mixed_float16 | mixed_bfloat16 (variables stay float32)
    strategy: str = "default"  # default (one device) | mirrored (all local GPUs) | multiworker (TF_CONFIG)
    # 0: the per-epoch curves are the test set's, as in most papers' tables. > 0: that share of the
    # training set (seeded by `seed`, stratified) is held out for the curves, and the test set is
    # evaluated once, at the end, so no choice made while watching the curves has seen it.
    val_split: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be >= 1, got {self.batch_size}")
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be > 0, got {self.lr}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not 0.0 <= self.val_split < 1.0:
            raise ConfigError(f"the validation split must be a fraction in [0, 1), got {self.val_split}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")

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
