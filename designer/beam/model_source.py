"""The decoder the beam explorer searches with: a trained model, its vocabularies and its task.

It comes either from the training panel (a ``TrainedModel`` record, read by attribute names so
this module does not depend on the training package) or from a checkpoint file loaded against
the design open in the window. It turns what the user types into one source example, and lists
the task's validation examples to pick from. No Qt here.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import CheckpointError, DataError, DesignerError

if TYPE_CHECKING:
    import torch

EXAMPLES_SHOWN = 200  # validation examples offered in the source picker


@dataclass(frozen=True)
class SourceExample:
    """One input ready for :class:`engine.beam.BeamSearch`: the example without a batch dimension,
    its valid length (None when not a sequence), how it reads, and its target when known."""

    text: str
    x: torch.Tensor
    length: int | None
    target: str | None = None
    unknown: tuple[str, ...] = ()  # typed characters/words the source vocabulary lacks (read as <unk>)


@dataclass
class BeamModel:
    """A decoder ready to search: ``model`` has the decoding protocol (docs/internals.md)."""

    model: Any
    source_vocab: Any = None  # engine.vocab.Vocab of the input, or None
    target_vocab: Any = None  # engine.vocab.Vocab of the generated tokens, or None
    task: Any = None  # the engine.data.Task it was trained on, when known
    design_hash: str | None = None  # Design.structure_hash() of the design it was built from
    checkpoint_path: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # what the panel calls it

    # ------------------------------------------------------------------ where models come from
    @classmethod
    def from_trained(cls, trained: Any) -> BeamModel:
        """From the training panel's record (``model``, ``task``, ``design_hash``,
        ``checkpoint_path``, ``metrics``). The weights are copied to the CPU, so a later run that
        trains the same module on its worker thread never changes what is being searched."""
        model = getattr(trained, "model", None)
        if model is None:
            raise DesignerError("the training run handed over no model")
        model = getattr(model, "module", model)  # a DistributedDataParallel wrapper
        if not getattr(model, "can_decode", False):
            raise DesignerError(_cannot_decode(model))
        model = copy.deepcopy(model).to("cpu").eval()
        task = getattr(trained, "task", None)
        source_vocab = getattr(task, "source_vocab", None)
        target_vocab = getattr(task, "target_vocab", None) or source_vocab
        path = getattr(trained, "checkpoint_path", None)
        return cls(model, source_vocab, target_vocab, task, getattr(trained, "design_hash", None),
                   Path(path) if path else None, dict(getattr(trained, "metrics", None) or {}),
                   getattr(model, "design_name", "") or "trained model")

    @classmethod
    def from_checkpoint(cls, path: str | Path, design: Any) -> BeamModel:
        """Compile ``design`` and load the checkpoint at ``path`` into it; a checkpoint made for a
        design of another structure is refused (:class:`CheckpointError` naming the differences)."""
        from engine.data import task_from_metadata
        from engine.model.compiler import compile_design
        from engine.training.checkpoint import design_mismatch, paths_of, read_sidecar
        from engine.training.restore import load_weights, vocabularies

        if design is None:
            raise CheckpointError(f"{path}: open the design the checkpoint was trained for first")
        if paths_of(path)[1].exists():  # say first when it belongs to another design, before compiling this one
            why = design_mismatch(read_sidecar(path), design)
            if why:
                raise CheckpointError(f"{path}: {why}")
        model = compile_design(design)
        if not model.can_decode:
            raise DesignerError(_cannot_decode(model))
        meta = load_weights(model, str(path), design)
        model.eval()
        source_vocab, target_vocab = vocabularies(design, meta)
        task = None
        entry = meta.get("task") or design.metadata.get("task")
        if entry:
            try:
                task = task_from_metadata(entry)
            except DesignerError:
                task = None  # e.g. a user's data file that moved: decoding still works without examples
        return cls(model, source_vocab, target_vocab, task, design.structure_hash(), Path(path),
                   dict(meta.get("metrics") or {}), design.name or Path(path).stem)

    # ------------------------------------------------------------------ reading sources
    @property
    def input_kind(self) -> str:
        return str(getattr(self.model, "input_kind", "token_input"))

    @property
    def input_size(self) -> int | None:
        """How many token ids or class ids the model's input takes (None when not ids, or unknown)."""
        model = self.model
        shapes = getattr(getattr(model, "report", None), "shapes", {}) or {}
        shape = shapes.get(getattr(model, "input_node", None), {}).get("out")
        if shape is None or getattr(shape, "kind", None) not in ("tokens", "class"):
            return None
        return int(shape.features)

    def _check_ids(self, ids: list[int], what: str) -> None:
        size = self.input_size
        bad = [i for i in ids if i < 0 or (size is not None and i >= size)]
        if bad:
            top = f" to {size - 1}" if size is not None else " or more"
            raise DataError(f"{what} {bad[0]} is outside what the model reads (0{top})")

    def _check_features(self, counts: list[int]) -> None:
        shapes = getattr(getattr(self.model, "report", None), "shapes", {}) or {}
        shape = shapes.get(getattr(self.model, "input_node", None), {}).get("out")
        want = getattr(shape, "features", None)
        if want is not None and any(c != want for c in counts):
            raise DataError(f"the model reads {want} number{'s' * (want != 1)} per step; the source has "
                            f"{', '.join(str(c) for c in sorted(set(counts)))}")

    def source_hint(self) -> str:
        """What the source box expects, for its placeholder text."""
        kind = self.input_kind
        if kind == "class_input":
            return "a class id, e.g. 7"
        if kind == "vector_input":
            return "comma-separated numbers"
        if kind == "sequence_input":
            return "steps separated by ';', each comma-separated numbers"
        if self.source_vocab is not None and self.source_vocab.join:
            return "words separated by spaces"
        return "type a source sequence"

    def encode(self, text: str) -> SourceExample:
        """The example ``text`` stands for; :class:`DataError` says what the box wants when it is wrong."""
        import torch  # lazily: the window starts before torch loads

        kind = self.input_kind
        if not text.strip():
            raise DataError(f"the source is empty; type {self.source_hint()}, or pick a validation example")
        if kind == "token_input":
            vocab = self.source_vocab
            if vocab is None:
                try:
                    ids = [int(t) for t in text.replace(",", " ").split()]
                except ValueError:
                    raise DataError("this model has no source vocabulary (its design names no task), so type "
                                    "space-separated token ids, e.g. 5 6 7") from None
                self._check_ids(ids, "token id")
                return SourceExample(text, torch.tensor(ids, dtype=torch.long), len(ids))
            pieces = text.split() if vocab.join else list(text)
            ids = vocab.encode(pieces)
            unknown = tuple(dict.fromkeys(p for p, i in zip(pieces, ids) if i == 3 and p != "<unk>"))
            return SourceExample(text, torch.tensor(ids, dtype=torch.long), len(ids), unknown=unknown)
        try:
            if kind == "class_input":
                value = int(text.strip())
                self._check_ids([value], "class id")
                return SourceExample(text, torch.tensor(value, dtype=torch.long), None)
            if kind == "vector_input":
                values = [float(v) for v in text.split(",")]
                self._check_features([len(values)])
                return SourceExample(text, torch.tensor(values), None)
            if kind == "sequence_input":
                steps = [[float(v) for v in s.split(",")] for s in text.split(";") if s.strip()]
                self._check_features([len(s) for s in steps])
                return SourceExample(text, torch.tensor(steps), len(steps))
        except ValueError:
            pass
        raise DataError(f'the source "{text}" cannot be read: type {self.source_hint()}')

    def examples(self, limit: int = EXAMPLES_SHOWN) -> list[SourceExample]:
        """The first ``limit`` validation examples of the task, with their targets (empty without a task)."""
        import torch

        task = self.task
        if task is None:
            return []
        try:
            val = task.split("val")
        except DesignerError:
            return []
        out = []
        for i in range(min(limit, len(val))):
            n = int(val.lengths[i]) if val.lengths is not None else None
            x = val.x[i] if n is None else val.x[i, :n]
            target = task.show_target(val.y[i]) if val.y is not None and val.y.dtype == torch.long else None
            out.append(SourceExample(task.show_input(val, i), x.clone(), n, target))
        return out

    # ------------------------------------------------------------------ what the search may generate
    @property
    def unk_id(self) -> int | None:
        """The id of ``<unk>`` among the generated tokens, when the target vocabulary has one."""
        from engine.vocab import SPECIALS, UNK

        vocab = self.target_vocab
        size = int(getattr(self.model, "vocab_size", 0) or 0)
        if vocab is None or not (0 <= UNK < size) or vocab.token(UNK) != SPECIALS[UNK]:
            return None
        return UNK

    def default_min_len(self) -> int:
        """1 when every validation target of the task is at least one token long (an empty output
        is then never right, so ``<eos>`` must not come first); 0 without a task that says."""
        task = self.task
        if task is None:
            return 0
        try:
            val = task.split("val")
        except DesignerError:
            return 0
        mask = getattr(val, "y_mask", None)
        if getattr(val, "y_in", None) is None or mask is None or not len(mask):
            return 0
        return 1 if int(mask.sum(1).min()) >= 2 else 0  # the mask counts the target's tokens and its <eos>

    def show(self, tokens: Any) -> str:
        """Generated token ids as text (``<eos>`` and after dropped)."""
        ids = [int(t) for t in tokens]
        if self.target_vocab is not None:
            return self.target_vocab.decode(ids)
        from engine.vocab import EOS

        return " ".join(str(t) for t in (ids[:ids.index(EOS)] if EOS in ids else ids))

    def describe(self, name: str | None = None) -> str:
        """One line for the panel: name (``name``, e.g. the open document's file name, else the
        model's own), task, best metric, where it came from."""
        parts = [name or self.name or "model"]
        if self.task is not None:
            parts.append(getattr(self.task, "title", "") or getattr(self.task, "name", ""))
        main = getattr(self.task, "main_metric", None)
        value = self.metrics.get(main) if main else None
        if value is None and isinstance(self.metrics.get("val"), dict) and main:
            value = self.metrics["val"].get(main)
        if isinstance(value, (int, float)):
            parts.append(f"{main.replace('_', ' ')} {value:.3g}")
        if self.checkpoint_path is not None:
            parts.append(self.checkpoint_path.name)
        return " · ".join(p for p in parts if p)


def _cannot_decode(model: Any) -> str:
    arch = getattr(model, "architecture", "") or "this"
    return (f"a {arch} design cannot generate sequences, so there is nothing to search: beam search needs a "
            "decoder block (one-to-many, encoder-decoder) or a causal token model with a classifier over its "
            "own vocabulary")
