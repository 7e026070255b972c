"""Tasks over the user's own files: CSV time series, CSV label + text, TSV pairs, plain text.

Every problem in a file is reported as ``FILE, line N: what is wrong`` (a :class:`DataError`).
:func:`task_for_file` picks the task from the file's extension and, for CSV, its content.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.base import Need, Task, TokenTargetTask, pad_sequences, target_batch
from engine.data.batch import Batch
from engine.data.synthetic import _int_param
from engine.data.text import CharLanguageModel, read_text
from engine.errors import DataError
from engine.vocab import Vocab


def _fraction(task: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise DataError(f'task "{task}" parameter "{name}": must be between 0 and 1, got {value!r}')
    return float(value)


def _rows(path: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank row."""
    text = read_text(path).removeprefix("\ufeff")  # Excel's UTF-8 files begin with a byte-order mark
    _check_quotes(path, text, delimiter)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    rows = []
    try:
        for fields in reader:
            if fields and any(f.strip() for f in fields):
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise DataError(f"{path}, line {reader.line_num}: {exc}") from None
    if not rows:
        raise DataError(f"{path}: the file holds no rows")
    return rows


def _check_quotes(path: str, text: str, delimiter: str) -> None:
    """An unclosed double quote makes the csv module read the rest of the file as one field:
    refuse it, naming the line where the quote opened. (A small state machine of the csv dialect:
    quotes open a field only at its start, and ``""`` inside a quoted field is an escaped quote.)"""
    if delimiter == "\t" or '"' not in text:
        return
    start, unquoted, quoted, quote_seen = range(4)
    state, line, opened_at = start, 1, 0
    for ch in text:
        if state == quoted:
            if ch == '"':
                state = quote_seen
        elif ch in (delimiter, "\n"):
            state = start
        elif state == start and ch == '"':
            state, opened_at = quoted, line
        elif state == quote_seen:
            state = quoted if ch == '"' else unquoted
        else:
            state = unquoted
        if ch == "\n":
            line += 1
    if state == quoted:
        raise DataError(f"{path}, line {opened_at}: a double quote opens a field that is never closed, so the rest "
                        "of the file would be read as one field; close the quote or remove it")


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _split_indices(n: int, val_fraction: float, seed: int, path: str) -> tuple[np.ndarray, np.ndarray]:
    if n < 2:
        raise DataError(f"{path}: {n} example is too few to hold out a validation set; give at least 2")
    order = np.random.default_rng([seed, 11]).permutation(n)
    n_val = min(n - 1, max(1, int(round(n * val_fraction))))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


class CSVSeries(Task):
    """A CSV of numbers, one row per time step (an optional header names the columns). Windows of
    ``window`` rows predict the ``target`` column one step ahead: after the window (many-to-one)
    or at every step (many-to-many). Columns are standardised with the training rows' mean and
    spread; the last ``val_fraction`` of the rows is held out."""

    name = "csv_series"
    title = "CSV time series"
    loss = "mse"
    metrics = ("loss", "mse")
    main_metric = "mse"

    def __init__(self, path: str, window: int = 32, target: str | int | None = None,
                 mode: str = "many-to-one", val_fraction: float = 0.2, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        if mode not in ("many-to-one", "many-to-many"):
            raise DataError(f'task "{self.name}" parameter "mode": expected many-to-one or many-to-many, got {mode!r}')
        self.path, self.mode = str(path), mode
        self.architecture = mode  # type: ignore[misc]
        self.window = _int_param(self.name, "window", window, 1)
        self.val_fraction = _fraction(self.name, "val_fraction", val_fraction)
        rows = _rows(self.path, ",")
        header = None
        if not all(_is_number(f) for f in rows[0][1]):
            header, rows = [f.strip() for f in rows[0][1]], rows[1:]
        if not rows:
            raise DataError(f"{self.path}: only a header row, no numbers")
        width = len(header) if header else len(rows[0][1])
        self.columns = header or [f"column {i + 1}" for i in range(width)]
        values = np.empty((len(rows), width), dtype=np.float32)
        for r, (line, fields) in enumerate(rows):
            if len(fields) != width:
                raise DataError(f"{self.path}, line {line}: {len(fields)} fields, but the "
                                f"{'header' if header else 'first row'} has {width}")
            for c, f in enumerate(fields):
                try:
                    values[r, c] = float(f)
                except ValueError:
                    raise DataError(f'{self.path}, line {line}: column "{self.columns[c]}" holds "{f.strip()}", '
                                    "not a number") from None
        if not np.isfinite(values).all():
            r, c = map(int, np.argwhere(~np.isfinite(values))[0])
            raise DataError(f'{self.path}, line {rows[r][0]}: column "{self.columns[c]}" is not a finite number')
        self.target_column = self._column(target)
        self.target = target
        cut = int(len(values) * (1.0 - self.val_fraction))
        if cut < self.window + 1 or len(values) - cut < self.window + 1:
            raise DataError(f"{self.path}: {len(values)} rows are too few for windows of {self.window} rows "
                            f"in both the training and the held-out part; give more rows or a smaller window")
        self.mean = values[:cut].mean(0)
        self.std = values[:cut].std(0) + 1e-6
        self.values = (values - self.mean) / self.std
        self.cut = cut

    def _column(self, target: str | int | None) -> int:
        if target is None:
            return len(self.columns) - 1
        if isinstance(target, int) and not isinstance(target, bool):
            if not 0 <= target < len(self.columns):
                raise DataError(f'task "{self.name}" parameter "target": column {target} does not exist '
                                f"(the file has columns 0 to {len(self.columns) - 1})")
            return target
        if target in self.columns:
            return self.columns.index(target)
        raise DataError(f'task "{self.name}" parameter "target": no column "{target}" in {self.path} '
                        f'(its columns: {", ".join(self.columns)})')

    def params(self) -> dict[str, Any]:
        return {"path": self.path, "window": self.window, "target": self.target, "mode": self.mode,
                "val_fraction": self.val_fraction, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        return Need("sequence_input", "features", len(self.columns), why="the file's columns")

    @property
    def head_need(self) -> Need:
        return Need("regressor", "outputs", 1, why="the target column")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        import torch

        v = self.values[:self.cut] if split == "train" else self.values[self.cut:]
        w = self.window
        starts = np.arange(0, len(v) - w)
        x = torch.from_numpy(np.stack([v[s:s + w] for s in starts]))  # (B, T, F)
        col = v[:, self.target_column]
        if self.mode == "many-to-one":
            y = torch.from_numpy(col[starts + w])[:, None]  # (B, 1)
        else:
            y = torch.from_numpy(np.stack([col[s + 1:s + w + 1] for s in starts]))[..., None]  # (B, T, 1)
        return Batch(x, y)


class CSVClasses(Task):
    """A CSV of ``label,text`` rows (an optional ``label,text`` header): classify each text, read
    character by character (many-to-one). Texts longer than ``max_length`` are cut."""

    name = "csv_classes"
    title = "CSV text classification"
    architecture = "many-to-one"
    metrics = ("loss", "accuracy")
    main_metric = "accuracy"
    higher_is_better = True

    def __init__(self, path: str, max_length: int = 200, val_fraction: float = 0.2, seed: int = 0,
                 **params: Any) -> None:
        super().__init__(seed, **params)
        self.path = str(path)
        self.max_length = _int_param(self.name, "max_length", max_length, 1)
        self.val_fraction = _fraction(self.name, "val_fraction", val_fraction)
        rows = _rows(self.path, ",")
        if [f.strip().lower() for f in rows[0][1]] == ["label", "text"]:
            rows = rows[1:]
        if not rows:
            raise DataError(f"{self.path}: only a header row, no data; add label,text rows below it")
        labels, texts = [], []
        for line, fields in rows:
            if len(fields) != 2:
                raise DataError(f"{self.path}, line {line}: expected 2 fields (label, text), found {len(fields)}"
                                + ("; put text holding commas in double quotes" if len(fields) > 2 else ""))
            label, text = fields[0].strip(), fields[1]
            if not label:
                raise DataError(f"{self.path}, line {line}: the label is empty")
            if not text.strip():
                raise DataError(f"{self.path}, line {line}: the text is empty")
            labels.append(label)
            texts.append(text[:self.max_length])
        self.classes = sorted(set(labels))
        if len(self.classes) < 2:
            raise DataError(f'{self.path}: every row has the label "{self.classes[0]}"; a classifier needs at least 2 labels')
        self.source_vocab = Vocab.from_texts(texts)
        self.labels = [self.classes.index(label) for label in labels]
        self.texts = texts
        self.train_idx, self.val_idx = _split_indices(len(texts), self.val_fraction, self.seed, self.path)

    def params(self) -> dict[str, Any]:
        return {"path": self.path, "max_length": self.max_length, "val_fraction": self.val_fraction, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{v - 4} distinct characters + 4 reserved ids")

    @property
    def head_need(self) -> Need:
        return Need("classifier", "num_classes", len(self.classes), False,
                    f"the labels {', '.join(self.classes[:6])}{', ...' if len(self.classes) > 6 else ''}")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        import torch

        idx = self.train_idx if split == "train" else self.val_idx
        x, lengths = pad_sequences([self.source_vocab.encode(self.texts[i]) for i in idx])
        y = torch.tensor([self.labels[i] for i in idx], dtype=torch.long)
        return Batch(x, y, lengths)


class TSVPairs(TokenTargetTask):
    """A TSV of ``source<TAB>target`` lines: translate each source into its target, character by
    character (encoder-decoder)."""

    name = "tsv_pairs"
    title = "TSV sequence pairs"
    architecture = "encoder-decoder"
    metrics = ("loss", "token_accuracy", "exact_match")
    main_metric = "exact_match"
    higher_is_better = True

    def __init__(self, path: str, val_fraction: float = 0.1, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.path = str(path)
        self.val_fraction = _fraction(self.name, "val_fraction", val_fraction)
        sources, targets = [], []
        for line, fields in _rows(self.path, "\t"):
            if len(fields) != 2:
                raise DataError(f"{self.path}, line {line}: expected 2 tab-separated fields (source, target), "
                                f"found {len(fields)}")
            if not fields[0].strip() or not fields[1].strip():
                side = "source" if not fields[0].strip() else "target"
                raise DataError(f"{self.path}, line {line}: the {side} is empty")
            sources.append(fields[0])
            targets.append(fields[1])
        self.sources, self.targets = sources, targets
        self.source_vocab = Vocab.from_texts(sources)
        self.target_vocab = Vocab.from_texts(targets)
        self.train_idx, self.val_idx = _split_indices(len(sources), self.val_fraction, self.seed, self.path)

    def params(self) -> dict[str, Any]:
        return {"path": self.path, "val_fraction": self.val_fraction, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{v - 4} source characters + 4 reserved ids")

    def target_why(self) -> str:
        return f"{len(self.target_vocab) - 4} target characters + 4 reserved ids"

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        idx = self.train_idx if split == "train" else self.val_idx
        x, lengths = pad_sequences([self.source_vocab.encode(self.sources[i]) for i in idx])
        return target_batch(x, lengths, [self.target_vocab.encode(self.targets[i]) for i in idx])


class TextLanguageModel(CharLanguageModel):
    """A character language model on the user's plain-text file (``path`` is required)."""

    name = "text_lm"
    title = "Language model on a text file"

    def __init__(self, path: str, **params: Any) -> None:
        super().__init__(path=path, **params)


def task_for_file(path: str | Path, **params: Any) -> Task:
    """The task a data file implies: ``.tsv`` → pairs, ``.csv`` → series when every field after a
    header is a number, else label + text; anything else → a language model on its text."""
    path = str(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".tsv":
        return TSVPairs(path, **params)
    if suffix == ".csv":
        rows = _rows(path, ",")
        if len(rows) == 1 and not all(_is_number(f) for f in rows[0][1]):
            raise DataError(f"{path}: only a header row, no data; add rows below it (numbers for a time series, "
                            "or label,text for classification)")
        body = rows[1:] if len(rows) > 1 else rows
        if all(_is_number(f) for _, fields in body[:50] for f in fields):
            return CSVSeries(path, **params)
        return CSVClasses(path, **params)
    return TextLanguageModel(path, **params)
