"""What every export format shares: its error type, the model a design and checkpoint make, the
blocks an exporter knows, the vocabularies, sample inputs for the self-checks, and writing a
folder so that a failed export leaves nothing behind."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import DesignerError

FORMATS = ("pytorch", "onnx")

# Blocks whose module every exporter writes; a cell block or decoder is judged by its cell.
PLAIN_KINDS = frozenset({"token_input", "sequence_input", "vector_input", "class_input", "embedding", "dense",
                         "dropout", "last_step", "mean_steps", "every_step", "bridge", "classifier", "regressor"})
SEQUENCE_INPUTS = frozenset({"token_input", "sequence_input"})  # inputs with a time axis (and lengths)
# Decoder parameters the exporters understand; another one means a decoder they cannot write.
DECODER_PARAMS = frozenset({"cell", "vocab_size", "embed_dim", "hidden_size", "num_layers", "dropout", "max_len",
                            "attention"})


class ExportError(DesignerError):
    """A model cannot be exported as asked: the format cannot express it, a package is missing, or
    the folder cannot be written. Nothing was written."""


@dataclass
class Exported:
    """What an export wrote: the folder and its files, and what it checked."""

    folder: Path
    files: list[str]
    format: str
    checks: list[str] = field(default_factory=list)  # one line per self-check that passed

    def summary(self) -> str:
        lines = [f"exported {self.format} to {self.folder}: {', '.join(self.files)}"]
        lines += [f"  checked: {c}" for c in self.checks]
        return "\n".join(lines)


def refuse_unknown_blocks(model: Any, design: Any, format_name: str) -> None:
    """Raise :class:`ExportError` naming the first block ``format_name`` cannot write (its kind or
    parameters); the cells themselves are judged by each format."""
    for node_id in model.order:
        node = design.nodes[node_id]
        if node.kind in PLAIN_KINDS or node.kind == "decoder" or node.kind in _cell_kinds():
            if node.kind == "decoder":
                extra = sorted(k for k, v in node.params.items() if k not in DECODER_PARAMS and v not in (None, "", "none", False, 0))
                if extra:
                    raise ExportError(f'decoder "{node_id}" uses {", ".join(extra)}, which the {format_name} export cannot '
                                      "write yet; export a design whose decoder reads only its initial state")
            continue
        raise ExportError(f'block "{node_id}" ({node.kind}) has no {format_name} export; the export writes '
                          f"inputs, embeddings, dense, dropout, cells, readouts, bridges, decoders and heads")


def _cell_kinds() -> set[str]:
    from engine.document.cells import cells

    return {c.kind for c in cells()}


def vocabularies_of(design: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """{"source": {"tokens": [...], "join": ""}, "target": ...}: every token by its id (the special
    tokens <pad>, <bos>, <eos>, <unk> first), from the checkpoint or the design's task; {} without one."""
    from engine.training.restore import vocabularies

    try:
        src, tgt = vocabularies(design, meta)
    except DesignerError:
        return {}
    out: dict[str, Any] = {}
    for name, vocab in (("source", src), ("target", tgt)):
        if vocab is not None:
            out[name] = {"tokens": list(vocab.tokens), "join": vocab.join}  # token id i is tokens[i]
    return out


@contextmanager
def staged_folder(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write into; on success its files move into ``out``
    (created if needed, other files there kept), on any error nothing of it remains."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target}: exists and is not a folder; give a folder to export into")
    parent = target.parent if str(target.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.export-", dir=parent))
    except OSError as exc:
        raise ExportError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    try:
        yield stage
        target.mkdir(exist_ok=True)
        for item in sorted(stage.iterdir()):
            os.replace(item, target / item.name)
    except OSError as exc:
        raise ExportError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def sample_inputs(model: Any, design: Any, batch: int, time: int, seed: int = 0) -> tuple[Any, Any]:
    """A batch for the self-checks: ``(x, lengths)`` of the model's input kind, the rows padded
    to different lengths (the first full, the last shortest); ``lengths`` is None without a time axis."""
    import torch

    g = torch.Generator().manual_seed(seed)
    params = design.nodes[model.input_node].params
    kind = model.input_kind
    if kind == "class_input":
        return torch.randint(0, params["num_classes"], (batch,), generator=g), None
    if kind == "vector_input":
        return torch.randn(batch, params["features"], generator=g), None
    lengths = torch.linspace(time, max(1, time // 2), batch).round().long() if batch > 1 else torch.tensor([time])
    steps = torch.arange(time).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
    if kind == "token_input":
        vocab = params["vocab_size"]
        x = torch.randint(min(4, vocab - 1), vocab, (batch, time), generator=g)
        return x.masked_fill(~steps, 0), lengths
    x = torch.randn(batch, time, params["features"], generator=g)
    return x * steps.unsqueeze(2), lengths


def sample_targets(model: Any, batch: int, time: int, seed: int = 1) -> Any:
    """Teacher-forcing tokens (B, T'): <bos> then random target tokens."""
    import torch

    g = torch.Generator().manual_seed(seed)
    t = torch.randint(min(3, model.vocab_size - 1), model.vocab_size, (batch, time), generator=g)
    t[:, 0] = model.bos_id
    return t
