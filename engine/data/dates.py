"""Date translation (encoder-decoder): dates written the many ways people write them → ISO 8601.

Generated with :mod:`datetime`; month and weekday names are spelled out here in English so the
data never depends on the machine's locale.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.data.base import Need, TokenTargetTask, pad_sequences, target_batch
from engine.data.batch import Batch
from engine.data.synthetic import _int_param
from engine.vocab import Vocab

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_Format = Callable[[dt.date], str]
FORMATS: tuple[_Format, ...] = (
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",  # 21 Nov 2026
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",  # 21 November 2026
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",  # November 21, 2026
    lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",  # Nov 21, 2026
    lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",  # 11/21/26
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",  # 11/21/2026
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",  # 21.11.2026
    lambda d: f"{d.day}-{MONTHS[d.month - 1][:3].lower()}-{d.year}",  # 21-nov-2026
    lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",  # Saturday, November 21, 2026
    lambda d: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}",  # Sat 21 Nov 2026
    lambda d: f"{d.year}/{d.month}/{d.day}",  # 2026/11/21
    lambda d: f"{MONTHS[d.month - 1].upper()} {d.day} {d.year}",  # NOVEMBER 21 2026
)
_SOURCE_CHARS = sorted(set("".join(MONTHS + WEEKDAYS) + "".join(MONTHS).upper() + "".join(MONTHS).lower()
                           + "0123456789 ,./-"))
_TARGET_CHARS = sorted("0123456789-")


def human_date(d: dt.date, style: int) -> str:
    return FORMATS[style % len(FORMATS)](d)


class DateTranslation(TokenTargetTask):
    """Read a date in one of twelve human formats ("21 Nov 2026", "November 21, 2026",
    "11/21/26", ...), write it as ISO ``2026-11-21``. Two-digit years mean 1950–2049."""

    name = "dates"
    title = "Date translation"
    architecture = "encoder-decoder"
    metrics = ("loss", "token_accuracy", "exact_match")
    main_metric = "exact_match"
    higher_is_better = True
    fresh = True
    reference = "a classic seq2seq exercise (e.g. Géron, Hands-On Machine Learning, ch. 16)"
    recommended = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine", "batch_size": 64, "steps": 5000,
                   "clip": 1.0, "eval_every": 500, "probe_every": 50}  # 3,000 steps: 95.9 % on the palette's sizes

    def __init__(self, first_year: int = 1950, last_year: int = 2049, train_size: int = 20_000,
                 val_size: int = 1_000, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.first_year = _int_param(self.name, "first_year", first_year, 1, 9999)
        self.last_year = _int_param(self.name, "last_year", last_year, self.first_year, min(9999, self.first_year + 99))
        self.train_size = _int_param(self.name, "train_size", train_size, 1)
        self.val_size = _int_param(self.name, "val_size", val_size, 1)
        self.source_vocab = Vocab(_SOURCE_CHARS)
        self.target_vocab = Vocab(_TARGET_CHARS)

    def params(self) -> dict[str, Any]:
        return {"first_year": self.first_year, "last_year": self.last_year, "train_size": self.train_size,
                "val_size": self.val_size, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{v - 4} characters + 4 reserved ids")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        n = self.train_size if split == "train" else self.val_size
        start = dt.date(self.first_year, 1, 1).toordinal()
        end = dt.date(self.last_year, 12, 31).toordinal()
        days = rng.integers(start, end + 1, n)
        styles = rng.integers(0, len(FORMATS), n)
        dates = [dt.date.fromordinal(int(o)) for o in days]
        sources = [self.source_vocab.encode(human_date(d, int(s))) for d, s in zip(dates, styles)]
        targets = [self.target_vocab.encode(d.isoformat()) for d in dates]
        x, lengths = pad_sequences(sources)
        return target_batch(x, lengths, targets)
