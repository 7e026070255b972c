"""Putting trained weights back: a checkpoint (or a bare ``.safetensors``) into a compiled model,
and the vocabularies the model was trained with. Used by ``decode``, the beam explorer and scripts."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import CheckpointError
from engine.training.checkpoint import load_checkpoint, paths_of


def load_weights(model: Any, path: str, design: Any = None) -> dict[str, Any]:
    """Load trained weights into ``model``; returns the checkpoint's sidecar (``{}`` when it has none).

    A checkpoint written by ``rnn-designer train`` is read with :func:`engine.training.checkpoint.load_checkpoint`,
    which refuses one made for a design of another structure. A bare ``.safetensors`` file of the
    model's ``state_dict`` (no sidecar) is read with ``safetensors.torch.load_file`` — never pickle.
    """
    p = Path(path)
    if paths_of(p)[1].exists():
        return dict(load_checkpoint(p, design=design, model=model).meta)
    if p.is_dir() or not p.exists():
        raise CheckpointError(f"{path}: no checkpoint here; give the .safetensors file written by "
                              "'rnn-designer train' (or its run folder)")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(p))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{p}: not a safetensors checkpoint ({exc})") from None
    if state and all(k.startswith(("model/", "optimizer/", "rng/")) for k in state):
        state = {k[len("model/"):]: v for k, v in state.items() if k.startswith("model/")}
    missing, unexpected = _compare(model.state_dict(), state)
    if missing or unexpected:
        raise CheckpointError(f"{p}: these weights do not belong to this design (missing: {', '.join(missing[:5]) or '-'}; "
                              f"unexpected: {', '.join(unexpected[:5]) or '-'})")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"{p}: weights do not fit this design: {str(exc).strip().splitlines()[-1]}") from None
    return {}


def _compare(have: dict, got: dict) -> tuple[list[str], list[str]]:
    return sorted(set(have) - set(got)), sorted(set(got) - set(have))


def vocabularies(design: Any, meta: dict[str, Any]) -> tuple[Any, Any]:
    """(source, target) vocabularies: the checkpoint's own when its sidecar has them, else those
    of the task it was trained on, else those of the task the design names."""
    from engine.vocab import Vocab

    def vocab(entry: Any) -> Any:
        return Vocab.from_dict(entry) if isinstance(entry, dict) and "tokens" in entry else None

    saved = meta.get("vocabs") or {}
    src = vocab(saved.get("source") or saved.get("source_vocab"))
    tgt = vocab(saved.get("target") or saved.get("target_vocab"))
    if src is not None or tgt is not None:
        return src, tgt or src
    entry = meta.get("task") or design.metadata.get("task")
    if not entry:
        return None, None
    from engine.data import task_from_metadata

    task = task_from_metadata(entry)
    return task.source_vocab, task.target_vocab or task.source_vocab
