"""How to train: :class:`TrainSettings`, the keys a design's ``metadata["training"]`` holds, each
checked (a finite positive learning rate, whole-number sizes, a seed, a positive time limit...) so a
malformed setting is a :class:`~engine.errors.SettingsError` naming it before any training starts.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from engine.devices import DEVICES
from engine.errors import SettingsError, TrainingError

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine", "plateau")


@dataclass
class TrainSettings:
    """How to train; a design's ``metadata["training"]`` holds the same keys."""

    optimizer: str = "adam"  # adam | adamw | sgd
    lr: float = 1e-3
    lr_schedule: str = "constant"  # constant | cosine (to 5 % of lr at the last step) | plateau (halve
    #                                when a validation does not improve the main metric)
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    batch_size: int = 32
    epochs: int | None = None  # with steps also None: 10 epochs
    steps: int | None = None  # optimizer steps in all; wins over epochs
    clip: float | None = 1.0  # max gradient norm; None or 0: no clipping
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | mps
    eval_every: int | None = None  # steps between validations; None: at every epoch's end
    patience: int | None = None  # early stopping: validations without improvement; None: never
    probe_every: int = 50  # steps between probes; 0: never
    probe_size: int = 4  # sequences in the probe batch
    val_batch_size: int = 256
    time_limit: float | None = None  # seconds; the run stops (as if stopped) after this long
    out_dir: str | None = None  # checkpoints (best, latest) and metrics.csv; None: nothing written
    tensorboard: bool | None = None  # TensorBoard event files in out_dir/tensorboard: None when the
    #                                  tensorboard package is installed, True always (an error without it)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, **overrides: Any) -> TrainSettings:
        """Settings from a design's ``metadata["training"]`` (unknown keys are an error) and overrides."""
        known = {f.name for f in fields(cls)}
        if values is not None and not isinstance(values, dict):
            raise SettingsError(f'the training settings must be an object such as {{"lr": 0.001, "steps": 500}}, '
                                f"got {type(values).__name__} {values!r:.60}")
        merged = {**(values or {}), **{k: v for k, v in overrides.items() if v is not None}}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise SettingsError(f'unknown training setting(s) {", ".join(unknown)}; known: {", ".join(sorted(known))}')
        s = cls(**merged)
        s.validate()
        return s

    def validate(self) -> None:
        def bad(name: str, why: str) -> TrainingError:
            return SettingsError(f'training setting "{name}": {why}, got {getattr(self, name)!r}')

        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"expected one of {', '.join(OPTIMIZERS)}")
        if self.lr_schedule not in SCHEDULES:
            raise bad("lr_schedule", f"expected one of {', '.join(SCHEDULES)}")
        if self.device not in DEVICES and not str(self.device).startswith(("cuda:", "mps:")):
            raise bad("device", f"expected one of {', '.join(DEVICES)}")
        if not _number(self.lr) or not self.lr > 0:
            raise bad("lr", "must be a positive number")
        for name in ("weight_decay", "momentum"):
            if not _number(getattr(self, name)) or getattr(self, name) < 0:
                raise bad(name, "must be a number of at least 0")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise bad("seed", "must be a whole number of at least 0")
        if self.time_limit is not None and (not _number(self.time_limit) or self.time_limit <= 0):
            raise bad("time_limit", "must be a positive number of seconds")
        if self.out_dir is not None and not isinstance(self.out_dir, str):
            raise bad("out_dir", "must be a folder name")
        if self.tensorboard is not None and not isinstance(self.tensorboard, bool):
            raise bad("tensorboard", "must be true or false")
        for name in ("batch_size", "epochs", "steps", "eval_every", "patience", "probe_size", "val_batch_size"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise bad(name, "must be a whole number of at least 1")
        if isinstance(self.probe_every, bool) or not isinstance(self.probe_every, int) or self.probe_every < 0:
            raise bad("probe_every", "must be a whole number, 0 for never")
        if self.clip is not None and (not _number(self.clip) or self.clip < 0):
            raise bad("clip", "must be a positive number, or 0 for no clipping")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: Any) -> bool:
    """A finite int or float (not a bool, not NaN or infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
