"""Where a model runs: one chooser for training, evaluation, decoding and the window."""
from __future__ import annotations

from typing import Any

from engine.errors import DesignerError

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available(torch: Any) -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def pick_device(name: str = "auto", local_rank: int = 0) -> Any:
    """The ``torch.device`` for ``name`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``).

    ``auto`` prefers CUDA (the ``local_rank``-th GPU under torchrun), then Apple's MPS, then the
    CPU. Asking for a device that is absent raises :class:`DesignerError` saying what to use."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DesignerError(f'device "{name}": this PyTorch build sees no CUDA GPU (torch {torch.__version__}); '
                            "use cpu or auto")
    if name.startswith("mps") and not _mps_available(torch):
        raise DesignerError(f'device "{name}": Apple MPS is not available here; use cpu or auto')
    if name == "cuda":
        return torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))
    try:
        return torch.device(name)
    except RuntimeError:
        raise DesignerError(f'device "{name}": use one of {", ".join(DEVICES)} (or cuda:N)') from None
