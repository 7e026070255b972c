"""Where RNN Designer keeps the user's own files: app data and crash-recovery copies.

The folders are the platform's usual ones (via ``platformdirs``): ``~/.local/share/rnn-designer``
on Linux, ``~/Library/Application Support/rnn-designer`` on macOS, ``%LOCALAPPDATA%\\rnn-designer``
on Windows. ``RNN_DESIGNER_DATA_DIR`` replaces the whole location (the test suite points it at a
temporary folder so it never writes to a real home). Runs are not kept here: the CLI writes them to
``./runs`` next to the user's work, where they can see them.
"""
from __future__ import annotations

import os
from pathlib import Path

from engine.errors import DesignerError

APP_DIR_NAME = "rnn-designer"
DATA_DIR_ENV = "RNN_DESIGNER_DATA_DIR"


def app_data_dir(create: bool = True) -> Path:
    """The folder for the app's own data (``RNN_DESIGNER_DATA_DIR`` when set), created unless ``create`` is False.

    Raises :class:`~engine.errors.DesignerError` naming the folder when it cannot be created.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DesignerError(f"{path}: cannot create the app data folder ({exc.strerror}); "
                                f"set {DATA_DIR_ENV} to a folder you can write to") from None
    return path


def recovery_dir(create: bool = True) -> Path:
    """The folder for autosaved copies of unsaved designs, inside :func:`app_data_dir`."""
    path = app_data_dir(create) / "recovery"
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DesignerError(f"{path}: cannot create the recovery folder ({exc.strerror}); "
                                f"set {DATA_DIR_ENV} to a folder you can write to") from None
    return path
