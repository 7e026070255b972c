"""Generated benchmark tasks: the adding problem, the embedded Reber grammar, copy and reverse."""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.base import Need, Task, TokenTargetTask, lm_batch, pad_sequences, target_batch
from engine.data.batch import Batch
from engine.errors import DataError
from engine.vocab import Vocab


def _int_param(task: str, name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise DataError(f'task "{task}" parameter "{name}": expected a whole number, got {value!r}')
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise DataError(f'task "{task}" parameter "{name}": must be {bound}, got {value}')
    return value


class AddingProblem(Task):
    """Each step is (value ~ U[0, 1], marker); exactly two steps are marked, one in each half of
    the sequence; the target is the sum of the two marked values. Always predicting the mean (1.0)
    scores MSE = 1/6 ≈ 0.167: the bar to beat."""

    name = "adding"
    title = "Adding problem"
    architecture = "many-to-one"
    loss = "mse"
    metrics = ("loss", "mse")
    main_metric = "mse"
    fresh = True
    reference = "Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015 variant"
    recommended = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine", "batch_size": 64, "steps": 3000,
                   "clip": 1.0, "eval_every": 250, "probe_every": 50}
    baseline_mse = 1.0 / 6.0

    def __init__(self, seq_len: int = 100, train_size: int = 10_000, val_size: int = 1_000,
                 seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.seq_len = _int_param(self.name, "seq_len", seq_len, 2, 100_000)
        self.train_size = _int_param(self.name, "train_size", train_size, 1)
        self.val_size = _int_param(self.name, "val_size", val_size, 1)

    def params(self) -> dict[str, Any]:
        return {"seq_len": self.seq_len, "train_size": self.train_size, "val_size": self.val_size,
                "seed": self.seed}

    @property
    def input_need(self) -> Need:
        return Need("sequence_input", "features", 2, why="a value and a marker per step")

    @property
    def head_need(self) -> Need:
        return Need("regressor", "outputs", 1, why="the sum")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        import torch

        n = self.train_size if split == "train" else self.val_size
        t, half = self.seq_len, self.seq_len // 2
        values = rng.random((n, t), dtype=np.float32)
        first = rng.integers(0, half, n)
        second = rng.integers(half, t, n)
        markers = np.zeros((n, t), dtype=np.float32)
        rows = np.arange(n)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        x = torch.from_numpy(np.stack([values, markers], axis=-1))  # (B, T, 2)
        y = torch.from_numpy(values[rows, first] + values[rows, second])[:, None]  # (B, 1)
        return Batch(x, y)


# The Reber grammar (Reber 1967, as drawn by Cleeremans, Servan-Schreiber & McClelland 1989):
# state → [(symbol, next state), ...]; every choice is a fair coin; state 5 ends with E.
_REBER = {0: [("T", 1), ("P", 2)], 1: [("S", 1), ("X", 3)], 2: [("T", 2), ("V", 4)],
          3: [("X", 2), ("S", 5)], 4: [("P", 3), ("V", 5)]}
REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")


def reber_string(rng: np.random.Generator) -> str:
    out, state = ["B"], 0
    while state != 5:
        symbol, state = _REBER[state][rng.integers(2)]
        out.append(symbol)
    out.append("E")
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator) -> str:
    """B, then T or P, a Reber string, the same T or P again, E: the second-to-last symbol can only
    be predicted by remembering the second one across the whole inner string."""
    branch = "TP"[rng.integers(2)]
    return "B" + branch + reber_string(rng) + branch + "E"


class EmbeddedReber(Task):
    """Next-symbol prediction on embedded Reber strings. The grammar's other choices are coin
    flips, so only the long-range symbol (the second-to-last, predicted from the inner E) is
    certain; ``long_range_accuracy`` scores exactly that symbol."""

    name = "reber"
    title = "Embedded Reber grammar"
    architecture = "many-to-many"
    metrics = ("loss", "token_accuracy", "long_range_accuracy")
    main_metric = "long_range_accuracy"
    higher_is_better = True
    fresh = True
    reference = "Hochreiter & Schmidhuber 1997, after Cleeremans et al. 1989"
    recommended = {"optimizer": "adam", "lr": 1e-2, "lr_schedule": "constant", "batch_size": 32, "steps": 1000,
                   "clip": 1.0, "eval_every": 100, "probe_every": 20}

    def __init__(self, train_size: int = 5_000, val_size: int = 1_000, max_length: int = 40,
                 seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.train_size = _int_param(self.name, "train_size", train_size, 1)
        self.val_size = _int_param(self.name, "val_size", val_size, 1)
        self.max_length = _int_param(self.name, "max_length", max_length, 9)
        self.source_vocab = self.target_vocab = Vocab(list(REBER_SYMBOLS))

    def params(self) -> dict[str, Any]:
        return {"train_size": self.train_size, "val_size": self.val_size,
                "max_length": self.max_length, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{v - 4} symbols + 4 reserved ids")

    @property
    def head_need(self) -> Need:
        v = len(self.target_vocab)
        return Need("classifier", "num_classes", v, True, f"{v - 4} symbols + 4 reserved ids")

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        n = self.train_size if split == "train" else self.val_size
        strings: list[str] = []
        while len(strings) < n:
            s = embedded_reber_string(rng)
            if len(s) <= self.max_length:
                strings.append(s)
        return lm_batch([self.source_vocab.encode(s) for s in strings])


class CopySequence(TokenTargetTask):
    """Encoder-decoder: read a random symbol sequence, write it back (``copy``) or reversed."""

    name = "copy"
    title = "Copy a sequence"
    architecture = "encoder-decoder"
    metrics = ("loss", "token_accuracy", "exact_match")
    main_metric = "exact_match"
    higher_is_better = True
    fresh = True
    reference = "Sutskever, Vinyals & Le 2014 (toy task)"
    recommended = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine", "batch_size": 64, "steps": 5000,
                   "clip": 1.0, "eval_every": 500, "probe_every": 50}
    reverse = False

    def __init__(self, symbols: int = 8, min_length: int = 3, max_length: int = 12,
                 train_size: int = 10_000, val_size: int = 1_000, seed: int = 0, **params: Any) -> None:
        super().__init__(seed, **params)
        self.symbols = _int_param(self.name, "symbols", symbols, 2, 1000)
        self.min_length = _int_param(self.name, "min_length", min_length, 1)
        self.max_length = _int_param(self.name, "max_length", max_length, self.min_length)
        self.train_size = _int_param(self.name, "train_size", train_size, 1)
        self.val_size = _int_param(self.name, "val_size", val_size, 1)
        names = [chr(ord("a") + i) for i in range(26)] + [str(i) for i in range(10)]
        tokens = names[:self.symbols] if self.symbols <= len(names) else [f"s{i}" for i in range(self.symbols)]
        self.source_vocab = self.target_vocab = Vocab(tokens, "" if self.symbols <= len(names) else " ")

    def params(self) -> dict[str, Any]:
        return {"symbols": self.symbols, "min_length": self.min_length, "max_length": self.max_length,
                "train_size": self.train_size, "val_size": self.val_size, "seed": self.seed}

    @property
    def input_need(self) -> Need:
        v = len(self.source_vocab)
        return Need("token_input", "vocab_size", v, True, f"{self.symbols} symbols + 4 reserved ids")

    def target_why(self) -> str:
        return f"{self.symbols} symbols + 4 reserved ids"

    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        n = self.train_size if split == "train" else self.val_size
        lengths = rng.integers(self.min_length, self.max_length + 1, n)
        seqs = [(rng.integers(0, self.symbols, int(k)) + 4).tolist() for k in lengths]
        x, lens = pad_sequences(seqs)
        targets = [s[::-1] for s in seqs] if self.reverse else seqs
        return target_batch(x, lens, targets)


class ReverseSequence(CopySequence):
    """Encoder-decoder: read a random symbol sequence, write it back reversed."""

    name = "reverse"
    title = "Reverse a sequence"
    reverse = True
