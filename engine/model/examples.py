"""The bundled example designs, described: what ``rnn-designer examples`` lists and a script can open.

Each entry is read from the installed file (:func:`engine.resources.example_paths`) and checked, so
the architecture shown is the one the checker finds, not a label that could drift from the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.document.design_file import load_design
from engine.model.check import check_design
from engine.resources import example_paths


@dataclass(frozen=True)
class BundledExample:
    """One example design shipped with RNN Designer."""

    name: str  # the design's name ("dates-gru-seq2seq")
    architecture: str  # one of engine.model.graph.ARCHITECTURES, as check_design finds it
    task: str  # the bundled task its metadata trains on ("dates"), "" when none
    description: str  # one line from its metadata, "" when none
    path: Path  # the installed file; open it, or copy it to edit

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "architecture": self.architecture, "task": self.task,
                "description": self.description, "path": str(self.path)}


def bundled_examples() -> list[BundledExample]:
    """Every bundled example design, by file name."""
    found = []
    for path in example_paths():
        design = load_design(path)
        task = design.metadata.get("task")
        found.append(BundledExample(
            name=design.name,
            architecture=check_design(design).architecture or "unknown",
            task=task.get("name", "") if isinstance(task, dict) else "",
            description=str(design.metadata.get("description") or "").split("\n")[0],
            path=path))
    return found
