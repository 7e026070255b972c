"""Spelling numbers out (one-to-many): a number given as a class id → its English words."""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.base import Need, TokenTargetTask, target_batch
from engine.data.batch import Batch
from engine.data.synthetic import _int_param
from engine.vocab import Vocab

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spell_number(n: int) -> str:
    """English words for 0 ≤ n < 1,000,000: 7 → "seven", 342 → "three hundred forty-two"."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"can spell 0 to 999999, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + spell_number(n % 100))
    return spell_number(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + spell_number(n % 1000))


class SpellNumber(TokenTargetTask):
    """One-to-many: a number, given as a class id, → its English spelling, character by character
    (7 → "seven"). Every number is its own class, so the model learns a table: training and
    validation hold the same numbers, and validation scores greedy generation."""

    name = "spell_numbers"
    title = "Spell a number"
    architecture = "one-to-many"
    metrics = ("loss", "token_accuracy", "exact_match")
    main_metric = "exact_match"
    higher_is_better = True
    reference = "a one-to-many toy task"
    recommended = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine", "batch_size": 64, "steps": 2000,
                   "clip": 1.0, "eval_every": 200, "probe_every": 50}

    def __init__(self, max_number: int = 99, repeat: int = 20, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.max_number = _int_param(self.name, "max_number", max_number, 1, 999_999)
        self.repeat = _int_param(self.name, "repeat", repeat, 1)
        self.target_vocab = Vocab(sorted(set("".join(_ONES + _TENS) + "hundredthousand -")))

    def params(self) -> dict[str, Any]:
        return {"max_number": self.max_number, "repeat": self.repeat, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        n = self.max_number + 1
        return Need("class_input", "num_classes", n, True, f"the numbers 0 to {self.max_number}")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        import torch

        numbers = np.arange(self.max_number + 1)
        if split == "train":  # an epoch shows every number ``repeat`` times
            numbers = np.tile(numbers, self.repeat)
        x = torch.from_numpy(numbers.astype(np.int64))  # (B,)
        return target_batch(x, None, [self.target_vocab.encode(spell_number(int(k))) for k in numbers])

    def show_input(self, b: Batch, i: int) -> str:
        return str(int(b.x[i]))
