"""What one training session hands around: the request a run starts from, what it leaves behind.

:class:`TrainedModel` is the record :attr:`TrainingPanel.modelTrained
<designer.training.panel.TrainingPanel.modelTrained>` carries to other panels (the beam explorer
decodes with it), loaded from the run's checkpoint. A run itself is another process
(:mod:`designer.training.controller`): what goes on from one run to the next is a checkpoint in a
run folder (:class:`Continuation`), never a live object. None of these holds a Qt object, and
torch is imported only where they are used.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.document.design import Design
from engine.training.sample_record import SamplePrediction


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
    """A checkpoint a new run can go on from (the last run's ``latest``, or one the user loaded):
    its weights, optimizer state, step and data order."""

    checkpoint: Path  # the .safetensors file
    step: int
    optimizer_kind: str | None  # adam | adamw | sgd, or None when it holds no optimizer state
    task_key: str  # TaskChoice.key() of the data it was trained on
    design_hash: str
    run_dir: Path | None = None  # the run folder it belongs to, when it came from a run


@dataclass
class RunRequest:
    """Everything a run process needs: the design is a copy (its ``metadata["task"]`` and
    ``["training"]`` are what runs), so edits cannot reach it."""

    design: Design
    design_hash: str
    task: TaskChoice
    settings: dict[str, Any]  # engine.training.TrainSettings keyword arguments
    run_dir: Path
    previous: Continuation | None = None
    samples: int = 5  # sample predictions shown at the end
    threads: int | None = None  # torch's CPU threads for the run; None: torch's choice
    processes: int = 1  # more than one: data-parallel under torchrun, rank 0 streaming



@dataclass
class RunOutcome:
    """How a run ended: ``result`` is ``Trainer.run``'s summary; ``trained`` and ``continuation``
    are None when the weights are not usable (the loss stopped being finite)."""

    result: dict[str, Any]
    trained: TrainedModel | None
    continuation: Continuation | None
    samples: list[SamplePrediction] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None


@dataclass
class RunFailure:
    """A run that ended without finishing: ``message`` for the user; ``touched`` whether it had
    begun training (then its weights are not to be trusted); ``last_good`` the newest checkpoint
    it left, which the next run may go on from."""

    message: str
    touched: bool
    last_good: Continuation | None = None
    run_dir: Path | None = None
    quiet: bool = False  # not a failure to warn about (the window stopped following a run)
