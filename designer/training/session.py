"""What one training session hands around: the request a run starts from, what it leaves behind.

:class:`TrainedModel` is the record :attr:`TrainingPanel.modelTrained
<designer.training.panel.TrainingPanel.modelTrained>` carries to other panels (the beam explorer
decodes with it). The other classes travel between the panel (GUI thread) and the worker (its
own thread); none of them holds a Qt object, and torch is imported only where they are used.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.document.design import Design


@dataclass
class TrainedModel:
    """A model with usable weights for the open design.

    ``model`` — the compiled ``nn.Module`` (``engine.model.compiler.CompiledModel``) in eval mode, on the
    device it was trained on; ``task`` — the ``engine.data.Task`` it learnt (its vocabularies turn
    ids into text); ``design_hash`` — ``Design.structure_hash()`` of the design it was built from
    (compare it with the open design's before using the model); ``checkpoint_path`` — the
    ``.safetensors`` file it came from or was last saved to, or None; ``metrics`` — the last
    validation metrics (name → value); ``step`` — optimizer steps it has been trained for."""

    model: Any
    task: Any
    design_hash: str
    checkpoint_path: Path | None
    metrics: dict[str, float]
    step: int = 0


@dataclass(frozen=True)
class TaskChoice:
    """Which data to train on: a bundled task by ``name`` or the user's file at ``path``, with
    the task's parameters (``seq_len``, ``train_size`` ...)."""

    name: str | None = None
    path: str | None = None
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def bundled(cls, name: str, params: dict[str, Any] | None = None) -> TaskChoice:
        return cls(name=name, params=tuple(sorted((params or {}).items())))

    @classmethod
    def file(cls, path: str | Path, params: dict[str, Any] | None = None) -> TaskChoice:
        return cls(path=str(path), params=tuple(sorted((params or {}).items())))

    @classmethod
    def from_metadata(cls, entry: Any) -> TaskChoice | None:
        """The task a design's ``metadata["task"]`` names, or None when it names none."""
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            return None
        params = {k: v for k, v in entry.items() if k != "name"}
        if "path" in params and entry["name"] in ("csv_series", "csv_classes", "tsv_pairs", "text_lm"):
            path = params.pop("path")
            return cls(name=entry["name"], path=str(path), params=tuple(sorted(params.items())))
        return cls.bundled(entry["name"], params)

    def with_params(self, params: dict[str, Any]) -> TaskChoice:
        return TaskChoice(self.name, self.path, tuple(sorted(params.items())))

    @property
    def param_dict(self) -> dict[str, Any]:
        return dict(self.params)

    def key(self) -> str:
        """Equal for two choices that give the same data."""
        return json.dumps([self.name, self.path, self.params], sort_keys=True, default=str)

    def label(self) -> str:
        if self.path is not None:
            return f"File: {Path(self.path).name}"
        return str(self.name)

    def build(self) -> Any:
        """The ``engine.data.Task`` (imports torch; raises ``DataError`` with the file's problem)."""
        from engine.data import get_task, task_for_file

        if self.path is not None:
            if self.name:
                return get_task(self.name, path=self.path, **self.param_dict)
            return task_for_file(self.path, **self.param_dict)
        return get_task(str(self.name), **self.param_dict)


@dataclass
class Continuation:
    """Weights and optimizer of the last run (or a loaded checkpoint) that a new run can go on from."""

    model: Any  # CompiledModel
    optimizer: Any | None  # torch.optim.Optimizer, or None when there is no state to keep
    optimizer_kind: str | None  # adam | adamw | sgd
    task: Any  # the Task object, reused so its data is not generated again
    task_key: str
    design_hash: str
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best: float | None = None
    best_step: int | None = None


@dataclass
class RunRequest:
    """Everything a worker needs to run once; the design is a copy, so edits cannot reach it."""

    design: Design
    design_hash: str
    task: TaskChoice
    settings: dict[str, Any]  # engine.training.TrainSettings keyword arguments
    previous: Continuation | None = None
    samples: int = 5  # sample predictions shown at the end
    threads: int | None = None  # torch's CPU threads for the run; None: torch's choice


@dataclass
class SamplePrediction:
    """One validation example as the model sees it at the end of a run."""

    input: str
    target: str
    prediction: str
    correct: bool | None = None  # None: no right or wrong (regression)


@dataclass
class RunOutcome:
    """How a run ended: ``result`` is ``Trainer.run``'s summary; ``trained`` and ``continuation``
    are None when the weights are not usable (the loss stopped being finite)."""

    result: dict[str, Any]
    trained: TrainedModel | None
    continuation: Continuation | None
    samples: list[SamplePrediction] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
