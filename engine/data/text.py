"""Character-level language modelling on a text file, and the small generated default corpus.

The default corpus, ``assets/data/corpus.txt``, is written by :func:`generate_corpus` from a
tiny grammar (run ``python -m engine.data.text`` to write it again): a few hundred short
sentences with enough regularity — agreement, repeated phrases, punctuation — for a small LSTM to
learn visibly within a minute.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.data.base import Need, Task, lm_batch
from engine.data.batch import Batch
from engine.data.synthetic import _int_param
from engine.errors import DataError
from engine.resources import asset
from engine.vocab import Vocab

ASSETS = asset("data")
DEFAULT_CORPUS = ASSETS / "corpus.txt"


def read_text(path: str | Path) -> str:
    """A text file as one string; a missing, binary or empty file raises :class:`DataError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a text file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                        "save the file as UTF-8") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise DataError(f"{path}, line {line}: holds a NUL byte; this looks like a binary file, not text")
    return text.replace("\r\n", "\n")


class CharLanguageModel(Task):
    """Predict the next character of a text at every step (many-to-many). Training reads the first
    ``1 - val_fraction`` of the text in windows of ``seq_len`` + 1 characters, starting at a new
    random offset every epoch; validation reads the rest."""

    name = "char_lm"
    title = "Character language model"
    architecture = "many-to-many"
    metrics = ("loss", "token_accuracy")
    main_metric = "loss"
    fresh = True
    reference = "Karpathy 2015, The Unreasonable Effectiveness of Recurrent Neural Networks"
    recommended = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine", "batch_size": 32, "steps": 3000,
                   "clip": 1.0, "eval_every": 250, "probe_every": 50}

    def __init__(self, path: str | None = None, seq_len: int = 64, val_fraction: float = 0.1,
                 seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.path = str(path) if path else None
        self.seq_len = _int_param(self.name, "seq_len", seq_len, 2, 100_000)
        if not isinstance(val_fraction, (int, float)) or not 0.0 < val_fraction < 1.0:
            raise DataError(f'task "{self.name}" parameter "val_fraction": must be between 0 and 1, got {val_fraction!r}')
        self.val_fraction = float(val_fraction)
        text = read_text(self.path or DEFAULT_CORPUS)
        where = self.path or str(DEFAULT_CORPUS)
        cut = int(len(text) * (1.0 - self.val_fraction))
        if cut < self.seq_len + 1 or len(text) - cut < self.seq_len + 1:
            need = int((self.seq_len + 1) / min(self.val_fraction, 1.0 - self.val_fraction)) + 1
            raise DataError(f"{where}: {len(text)} characters is too short for windows of {self.seq_len}; "
                            f"give at least {need} characters or a smaller seq_len")
        self.text = text
        self.cut = cut
        self.source_vocab = self.target_vocab = Vocab.from_texts([text])

    def params(self) -> dict[str, Any]:
        return {"path": self.path, "seq_len": self.seq_len, "val_fraction": self.val_fraction, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{v - 4} distinct characters + 4 reserved ids")

    @property
    def head_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("classifier", "num_classes", v, True, f"{v - 4} distinct characters + 4 reserved ids")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        part = self.text[:self.cut] if split == "train" else self.text[self.cut:]
        ids = self.source_vocab.encode(part)
        w = self.seq_len + 1
        start = int(rng.integers(0, self.seq_len)) if split == "train" else 0
        if len(ids) - start < w:
            start = 0
        windows = [ids[i:i + w] for i in range(start, len(ids) - w + 1, self.seq_len)]
        return lm_batch(windows)


# ---------------------------------------------------------------------- the default corpus
_SUBJECTS = ("the sailor", "the old sailor", "a young girl", "the baker", "my neighbour", "the teacher",
             "a small dog", "the king", "the gardener", "our captain", "the tired farmer", "a clever fox")
_PLURALS = ("the sailors", "two girls", "the bakers", "my neighbours", "the children", "the birds",
            "three old men", "the farmers")
_VERBS = (("sees", "see"), ("finds", "find"), ("paints", "paint"), ("carries", "carry"),
          ("remembers", "remember"), ("follows", "follow"), ("builds", "build"), ("loves", "love"))
_OBJECTS = ("a red boat", "the little house", "an apple", "the long road", "a bright star", "the river",
            "a wooden box", "the green hill", "a letter", "the quiet harbour", "a song", "the winter sea")
_PLACES = ("near the harbour", "in the morning", "by the river", "under the old bridge", "at night",
           "in the garden", "on the green hill", "after the storm")
_ENDINGS = (".", ".", ".", "!", "?")


def _sentence(rng: np.random.Generator) -> str:
    def pick(options: tuple) -> Any:
        return options[int(rng.integers(len(options)))]

    plural = rng.random() < 0.35
    subject = pick(_PLURALS) if plural else pick(_SUBJECTS)
    verb = pick(_VERBS)[1 if plural else 0]
    words = f"{subject} {verb} {pick(_OBJECTS)}"
    if rng.random() < 0.6:
        words += " " + pick(_PLACES)
    if rng.random() < 0.25:
        other = pick(_SUBJECTS)
        words += f", and {other} {pick(_VERBS)[0]} {pick(_OBJECTS)}"
    end = pick(_ENDINGS)
    if end == "?":
        aux = "do" if plural else "does"
        words = f"{aux} {subject} {pick(_VERBS)[1]} {pick(_OBJECTS)}"
    return words[0].upper() + words[1:] + end


def generate_corpus(seed: int = 1989, paragraphs: int = 300) -> str:
    """The default corpus: ``paragraphs`` paragraphs of three to six generated sentences."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(paragraphs):
        out.append(" ".join(_sentence(rng) for _ in range(int(rng.integers(3, 7)))))
    return "\n\n".join(out) + "\n"


if __name__ == "__main__":  # python -m engine.data.text  → rewrites assets/data/corpus.txt
    ASSETS.mkdir(parents=True, exist_ok=True)
    DEFAULT_CORPUS.write_text(generate_corpus(), encoding="utf-8")
    print(f"wrote {DEFAULT_CORPUS} ({DEFAULT_CORPUS.stat().st_size} bytes)")
