"""What every task shares: what it needs of a design, how it splits and batches its examples.

A task builds each split as one padded :class:`~engine.data.batch.Batch` holding every example
(``generate_split``); :meth:`Task.batches` shuffles it, cuts mini-batches and trims each to the
longest sequence in it. Everything random comes from ``numpy.random.default_rng`` seeded with
``(seed, split, epoch)``, so a run — and a resumed run — sees exactly the same data.

Building a task and asking what it needs of a design (:class:`Need`), its vocabularies and its
recommended settings never imports torch: only the batch-building code does, when it runs.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.data.batch import Batch
from engine.errors import DataError
from engine.vocab import EOS, PAD, Vocab

SPLITS = ("train", "val")
# the training settings a task recommends; picking a task replaces these and keeps the others (seed, device)
RECOMMENDED_KEYS = ("optimizer", "lr", "lr_schedule", "batch_size", "steps", "epochs", "clip", "eval_every",
                    "probe_every")
_SPLIT_CODE = {"train": 0, "val": 1}

if TYPE_CHECKING:  # pragma: no cover
    import torch


@dataclass(frozen=True)
class Need:
    """What a task needs of one node of the design: a block kind and the size of one parameter."""

    kind: str  # token_input | sequence_input | class_input | vector_input | classifier | regressor | decoder
    param: str  # vocab_size | features | num_classes | outputs
    size: int
    at_least: bool = False  # vocabularies may be larger than the data needs (extra ids go unused)
    why: str = ""  # how the size comes about, e.g. "37 characters + 4 reserved ids"

    def describe(self) -> str:
        from engine.document.blocks import BLOCKS

        title = BLOCKS[self.kind].title.lower() if self.kind in BLOCKS else self.kind
        return f"a {title} ({self.kind}) with {self.param} {'≥ ' if self.at_least else ''}{self.size}"


class Task:
    """A source of batches for one problem, with what it needs of a design and how it is scored.

    Subclasses set the class attributes and implement :meth:`generate_split`; the constructor
    takes the task's parameters as keyword arguments (see each subclass)."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    architecture: ClassVar[str] = ""  # one of engine.model.graph.ARCHITECTURES
    loss: ClassVar[str] = "cross_entropy"  # or "mse"
    metrics: ClassVar[tuple[str, ...]] = ("loss",)  # names in engine.training.metrics.METRICS
    main_metric: ClassVar[str] = "loss"  # early stopping and "best" checkpoints follow this
    higher_is_better: ClassVar[bool] = False
    fresh: ClassVar[bool] = False  # True: every epoch draws new training examples
    reference: ClassVar[str] = ""  # where the task comes from
    # training settings that reach the task's target on the matching template at its default sizes
    # (measured by bench/learning.py; the window applies them when the task is picked)
    recommended: ClassVar[dict[str, Any]] = {"optimizer": "adam", "lr": 3e-3, "lr_schedule": "cosine",
                                             "batch_size": 32, "steps": 2000, "clip": 1.0, "eval_every": 100,
                                             "probe_every": 25}

    def __init__(self, seed: int = 0, **params: Any) -> None:
        if params:
            raise DataError(f'task "{self.name}" has no parameter(s) {", ".join(sorted(params))}')
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise DataError(f'task "{self.name}" parameter "seed": expected a whole number of at least 0, got {seed!r}')
        self.seed = seed
        self.source_vocab: Vocab | None = None
        self.target_vocab: Vocab | None = None
        self._cache: dict[tuple[str, int], Batch] = {}

    # ------------------------------------------------------------------ what a design must have
    @property
    def input_need(self) -> Need:
        raise NotImplementedError

    @property
    def head_need(self) -> Need:
        raise NotImplementedError

    @property
    def decoder_need(self) -> Need | None:
        """For encoder-decoder and one-to-many tasks: the decoder's target vocabulary."""
        return None

    def params(self) -> dict[str, Any]:
        """The parameters that rebuild this task: ``get_task(name, **task.params())``."""
        return {"seed": self.seed}

    def metadata(self) -> dict[str, Any]:
        """The ``metadata["task"]`` entry of a design trained on this task."""
        return {"name": self.name, **self.params()}

    def describe(self) -> str:
        needs = [self.input_need, self.head_need] + ([self.decoder_need] if self.decoder_need else [])
        return f"{self.title} ({self.architecture}): needs " + ", ".join(n.describe() for n in needs)

    # ------------------------------------------------------------------ data
    def generate_split(self, split: str, rng: np.random.Generator) -> Batch:
        """Every example of ``split`` as one batch (padded to the longest)."""
        raise NotImplementedError

    def split(self, split: str, epoch: int = 0) -> Batch:
        """The whole split; training data is redrawn each epoch when the task is ``fresh``."""
        if split not in SPLITS:
            raise DataError(f'unknown split "{split}"; use one of {", ".join(SPLITS)}')
        epoch = epoch if (split == "train" and self.fresh) else 0
        key = (split, epoch)
        if key not in self._cache:
            if split == "train" and self.fresh:  # keep only the current epoch's draw
                self._cache = {k: v for k, v in self._cache.items() if k[0] != "train"}
            rng = np.random.default_rng([self.seed, _SPLIT_CODE[split], epoch])
            self._cache[key] = self.generate_split(split, rng)
        return self._cache[key]

    def size(self, split: str) -> int:
        return len(self.split(split))

    def num_batches(self, batch_size: int, world: int = 1) -> int:
        """Training batches per epoch (per process when ``world`` processes share the epoch)."""
        n = -(-self.size("train") // batch_size)
        return max(1, n // world) if world > 1 else n

    def batches(self, split: str, batch_size: int, epoch: int = 0, shuffle: bool | None = None,
                rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """Mini-batches of ``split``: shuffled for training (the order depends on seed and epoch),
        in order otherwise. With ``world`` processes, process ``rank`` gets every world-th batch
        and each gets the same number."""
        if batch_size < 1:
            raise DataError(f"batch size must be at least 1, got {batch_size}")
        import torch

        data = self.split(split, epoch)
        n = len(data)
        shuffle = (split == "train") if shuffle is None else shuffle
        if shuffle:
            order = torch.from_numpy(np.random.default_rng([self.seed, 7, epoch]).permutation(n))
        else:
            order = torch.arange(n)
        starts = list(range(0, n, batch_size))
        if world > 1:
            per = max(1, len(starts) // world)
            starts = [starts[(i * world + rank) % len(starts)] for i in range(per)]
        for s in starts:
            yield self.trim(data.select(order[s:s + batch_size]))

    def probe_batch(self, n: int = 4) -> Batch:
        """A small fixed batch (the first validation examples) for probes and previews."""
        val = self.split("val")
        return self.trim(val.select(slice(0, min(n, len(val)))))

    def trim(self, b: Batch) -> Batch:
        """Cut the padding a mini-batch does not need."""
        x, y, y_in, mask, lengths = b.x, b.y, b.y_in, b.y_mask, b.lengths
        if lengths is not None and x.dim() >= 2:
            t = max(1, int(lengths.max()))
            x = x[:, :t]
            if self.architecture == "many-to-many":
                y = y[:, :t]
                mask = None if mask is None else mask[:, :t]
        if y_in is not None and mask is not None:
            t = max(1, int(mask.sum(1).max()))
            y, y_in, mask = y[:, :t], y_in[:, :t], mask[:, :t]
        return Batch(x, y, lengths, y_in, mask)

    # ------------------------------------------------------------------ showing examples
    def show_input(self, b: Batch, i: int) -> str:
        import torch

        x = b.x[i]
        if self.source_vocab is not None and x.dtype == torch.long and x.dim() == 1:
            n = int(b.lengths[i]) if b.lengths is not None else x.shape[0]
            return self.source_vocab.decode(x[:n].tolist())
        if x.dim() == 0:
            return str(int(x))
        return np.array2string(x.numpy(), precision=3, threshold=12)

    def show_target(self, ids: torch.Tensor | list[int]) -> str:
        import torch

        vocab = self.target_vocab or self.source_vocab
        if vocab is None:
            return str(ids.tolist() if isinstance(ids, torch.Tensor) else ids)
        return vocab.decode(ids.tolist() if isinstance(ids, torch.Tensor) else ids)


# ---------------------------------------------------------------------- building batches
class TokenTargetTask(Task):
    """A task whose model writes tokens of ``target_vocab`` through a decoder (encoder-decoder or
    one-to-many): its classifier head and its decoder both need the target vocabulary."""

    def target_why(self) -> str:
        """How the target vocabulary's size comes about, for the messages of :func:`fit_problems`."""
        return f"{len(self.target_vocab) - 4} characters + 4 reserved ids"

    @property
    def head_need(self) -> Need:
        return Need("classifier", "num_classes", len(self.target_vocab), True, self.target_why())

    @property
    def decoder_need(self) -> Need:
        return Need("decoder", "vocab_size", len(self.target_vocab), True, self.target_why())


def pad_sequences(seqs: list[list[int]], length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists → ((B, T) long padded with 0, (B,) lengths)."""
    import torch

    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    t = length or (int(lengths.max()) if len(seqs) else 1)
    out = torch.full((len(seqs), max(t, 1)), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return out, lengths


def target_batch(x: torch.Tensor, lengths: torch.Tensor | None, targets: list[list[int]]) -> Batch:
    """An encoder-decoder / one-to-many batch: ``y`` ends with <eos>, ``y_in`` starts with <bos>."""
    import torch

    from engine.vocab import BOS

    y, _ = pad_sequences([t + [EOS] for t in targets])
    y_in = torch.cat([torch.full((len(targets), 1), BOS, dtype=torch.long), y[:, :-1]], dim=1)
    y_in[y_in == EOS] = PAD  # the step after <eos> is padding, not input
    mask = y != PAD
    return Batch(x, y, lengths, y_in, mask)


def lm_batch(seqs: list[list[int]]) -> Batch:
    """Many-to-many next-token batch: x = s[:-1], y = s[1:], masked past each length."""
    import torch

    x, lengths = pad_sequences([s[:-1] for s in seqs])
    y, _ = pad_sequences([s[1:] for s in seqs], x.shape[1])
    mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
    return Batch(x, y, lengths, None, mask)
