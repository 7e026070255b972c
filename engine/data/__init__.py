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
(:func:`task_from_metadata`); :func:`engine.model.task_fit.fit_problems` says, node by node, where a
design does not fit a task. Vocabulary and class counts may be larger than a task needs (the extra ids go unused);
feature and output counts must match exactly.

Every task carries ``recommended`` training settings (:func:`recommended_training`), measured by
``bench/learning.py`` on the matching template; picking a task in the window applies them
(:func:`training_with_recommended`). Nothing here imports torch until batches are built.
"""
from __future__ import annotations

import json
from typing import Any

from engine.data.base import RECOMMENDED_KEYS, Need, Task
from engine.data.dates import DateTranslation
from engine.data.files import CSVClasses, CSVSeries, TextLanguageModel, TSVPairs, task_for_file
from engine.data.spelling import SpellNumber
from engine.data.synthetic import AddingProblem, CopySequence, EmbeddedReber, ReverseSequence
from engine.data.text import CharLanguageModel
from engine.errors import DataError, TaskParamError

TASKS: dict[str, type[Task]] = {t.name: t for t in (
    AddingProblem, EmbeddedReber, DateTranslation, CopySequence, ReverseSequence, SpellNumber,
    CharLanguageModel, CSVSeries, CSVClasses, TSVPairs, TextLanguageModel)}
BUNDLED = ("adding", "reber", "dates", "copy", "reverse", "spell_numbers", "char_lm")

__all__ = ["TASKS", "BUNDLED", "RECOMMENDED_KEYS", "Need", "Task", "get_task", "task_from_metadata",
           "task_for_file", "parse_task_params", "recommended_training", "training_with_recommended"]


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


def parse_task_params(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings → a dict; values are read as JSON when they parse (numbers, true, null).

    A malformed item raises :class:`~engine.errors.TaskParamError` (a ``DataError``) carrying it, for each
    front end to word: the CLI adds its ``--task-param``, the window says it in its own words."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise TaskParamError(item)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        params[key.strip()] = value
    return params


def recommended_training(name: str) -> dict[str, Any]:
    """The training settings task ``name`` recommends (a fresh copy); unknown names raise :class:`DataError`."""
    try:
        cls = TASKS[name]
    except KeyError:
        raise DataError(f'unknown task "{name}"; known tasks: {", ".join(TASKS)}') from None
    return dict(cls.recommended)


def training_with_recommended(name: str, training: dict[str, Any] | None = None) -> dict[str, Any]:
    """A design's ``metadata["training"]`` once task ``name`` is picked: the task's recommended
    settings replace the ones it recommends (steps or epochs, batch, lr, schedule, clipping,
    validation and probe intervals); the others (seed, device, patience ...) stay."""
    kept = {k: v for k, v in (training or {}).items() if k not in RECOMMENDED_KEYS}
    return {**recommended_training(name), **kept}
