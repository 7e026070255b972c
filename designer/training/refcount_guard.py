"""A guard against a reference-counting bug of PySide6 6.12.0 on Python 3.11.

PySide6 6.12.0 drops one reference to ``None`` each time a Qt method returning ``void`` is called
from Python (``QLabel.setText``, ``QWidget.setEnabled`` ...), and to ``True``/``False`` when Qt
calls some Python overrides. From Python 3.12 these objects are immortal and nothing happens; on
3.11 their counts run down and the interpreter aborts with "Fatal Python error: none_dealloc:
deallocating None" — at exit after a short session, in the middle of a training run after a
long one (the live plots make thousands of such calls). PySide6 6.11.3 does not have the bug.

:func:`keep_singletons_alive` gives the three objects 2**40 extra references on exactly the
affected versions, which is what Python 3.12 does for them anyway (they are never freed); it is a
no-op everywhere else. Remove it once the project no longer allows PySide6 6.12.0 on Python < 3.12.
"""
from __future__ import annotations

import ctypes
import sys

EXTRA_REFERENCES = 1 << 40
_applied = False


def affected(pyside_version: str | None = None, python: tuple[int, int] | None = None) -> bool:
    """Whether this PySide6 and Python pair has the bug."""
    if pyside_version is None:
        import PySide6

        pyside_version = PySide6.__version__
    python = python or (sys.version_info.major, sys.version_info.minor)
    return python < (3, 12) and pyside_version.startswith("6.12.0")


def keep_singletons_alive() -> bool:
    """Apply the guard once (on affected versions); True when it is in place."""
    global _applied
    if _applied:
        return True
    if not affected() or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        # ob_refcnt is a PyObject's first field (Py_ssize_t) in CPython's release builds
        ctypes.c_ssize_t.from_address(id(obj)).value += EXTRA_REFERENCES
    _applied = True
    return True
