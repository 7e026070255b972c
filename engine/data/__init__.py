"""Tasks: generated benchmark problems and the user's own files, as reproducible batches.

Bundled tasks (``get_task(name, **params)``; defaults shown; every task also takes ``seed=0``):

- ``adding`` (many-to-one): sequence_input features=2 → regressor outputs=1;
  ``seq_len=100, train_size=10000, val_size=1000``; metric ``mse`` (the mean predictor: 0.167).
- ``reber`` (many-to-many): token_input vocab_size≥11 → classifier num_classes≥11;
  ``train_size=5000, val_size=1000, max_length=40``; metric ``long_range_accuracy``.
- ``dates`` (encoder-decoder): token_input vocab_size≥62 → decoder vocab_size≥15, classifier ≥15;
  ``first_year=1950, last_year=2049, train_size=20000, val_size=1000``; metric ``exact_match``
  (greedy decoding).
- ``copy``, ``reverse`` (encoder-decoder): token_input vocab_size≥12 → decoder vocab_size≥12,
  classifier ≥12; ``symbols=8, min_length=3, max_length=12, train_size=10000, val_size=1000``;
  metric ``exact_match``.
- ``spell_numbers`` (one-to-many): class_input num_classes≥100 → decoder vocab_size≥25,
  classifier ≥25; ``max_number=99, repeat=20`` (7 → "seven"); metric ``exact_match``.
- ``char_lm`` (many-to-many): token_input vocab_size≥V → classifier num_classes≥V, V = distinct
  characters + 4 (the default corpus: V = 39); ``path=None`` (assets/data/corpus.txt),
  ``seq_len=64, val_fraction=0.1``; metric ``loss``.

User files (``task_for_file(path, **params)`` picks one; or name it):

- ``csv_series`` — numbers, one row per step: ``path, window=32, target=None (last column),
  mode="many-to-one"|"many-to-many", val_fraction=0.2``;
- ``csv_classes`` — ``label,text`` rows: ``path, max_length=200, val_fraction=0.2``;
- ``tsv_pairs`` — ``source<TAB>target`` lines: ``path, val_fraction=0.1``;
- ``text_lm`` — any text: ``path, seq_len=64, val_fraction=0.1``.

A design names its task in ``metadata["task"] = {"name": ..., **params}``
(:func:`task_from_metadata`); :func:`fit_problems` says, node by node, where a design does not
fit a task. Vocabulary and class counts may be larger than a task needs (the extra ids go unused);
feature and output counts must match exactly.
"""
from __future__ import annotations

from typing import Any

from engine.errors import DataError
from engine.data.base import Need, Task
from engine.data.dates import DateTranslation
from engine.data.files import CSVClasses, CSVSeries, TextLanguageModel, TSVPairs, task_for_file
from engine.data.spelling import SpellNumber
from engine.data.synthetic import AddingProblem, CopySequence, EmbeddedReber, ReverseSequence
from engine.data.text import CharLanguageModel

TASKS: dict[str, type[Task]] = {t.name: t for t in (
    AddingProblem, EmbeddedReber, DateTranslation, CopySequence, ReverseSequence, SpellNumber,
    CharLanguageModel, CSVSeries, CSVClasses, TSVPairs, TextLanguageModel)}
BUNDLED = ("adding", "reber", "dates", "copy", "reverse", "spell_numbers", "char_lm")

__all__ = ["TASKS", "BUNDLED", "Need", "Task", "get_task", "task_from_metadata", "task_for_file",
           "fit_problems"]


def get_task(name: str, **params: Any) -> Task:
    """Build the task ``name`` with ``params``; unknown names and parameters raise :class:`DataError`."""
    try:
        cls = TASKS[name]
    except KeyError:
        raise DataError(f'unknown task "{name}"; known tasks: {", ".join(TASKS)}') from None
    try:
        return cls(**params)
    except TypeError as exc:  # a required parameter (path) is missing
        raise DataError(f'task "{name}": {exc}') from None


def task_from_metadata(entry: dict[str, Any]) -> Task:
    """The task a design's ``metadata["task"]`` names."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise DataError('a design\'s metadata "task" must be an object with a "name", e.g. {"name": "adding"}')
    params = {k: v for k, v in entry.items() if k != "name"}
    return get_task(entry["name"], **params)


def fit_problems(task: Task, design: Any) -> list[str]:
    """Why ``design`` cannot be trained on ``task``, one plain sentence per problem naming the node
    and parameter; empty when it fits."""
    from engine.model.graph import check_design

    report = check_design(design)
    out: list[str] = []
    if report.architecture and report.architecture != task.architecture:
        out.append(f'task "{task.name}" is {task.architecture}, but the design is {report.architecture}')

    def check(node_id: str | None, need: Need | None, role: str) -> None:
        if need is None:
            return
        if node_id is None:
            out.append(f'task "{task.name}" needs {role}: {need.describe()}')
            return
        node = design.nodes[node_id]
        if node.kind != need.kind:
            out.append(f'node "{node_id}" is a {node.spec.title.lower()} ({node.kind}), but task "{task.name}" '
                       f"needs {role}: {need.describe()}")
            return
        have = node.params.get(need.param)
        ok = have >= need.size if need.at_least else have == need.size
        if not ok:
            why = f" ({need.why})" if need.why else ""
            bound = "at least " if need.at_least else ""
            out.append(f'node "{node_id}" parameter "{need.param}" is {have}, but task "{task.name}" needs '
                       f"{bound}{need.size}{why}; set it to {need.size}")

    check(report.input_node, task.input_need, "an input")
    check(report.decoder_node, task.decoder_need, "a decoder")
    check(report.head_node, task.head_need, "a head")
    return out
