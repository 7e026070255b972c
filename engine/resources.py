"""The files RNN Designer ships with (icons, example designs, the design schema, the default corpus),
and the installed version.

The checkout keeps them in the top-level ``assets/`` folder; the distribution installs that folder
as the package ``engine.assets``. Everything finds them through :func:`asset`, which asks
``importlib.resources``, so the same code works in the editable install, in an installed wheel and
in a frozen app — never through a path relative to a source file.
"""
from __future__ import annotations

import logging
from functools import cache
from importlib import metadata, resources
from pathlib import Path

from engine.errors import DesignerError

ASSETS_PACKAGE = "engine.assets"
DISTRIBUTION = "rnn-designer"
EXAMPLE_SUFFIX = ".rnnd"

log = logging.getLogger(__name__)


@cache
def assets_root() -> Path:
    """The folder of the bundled files (``assets/`` in a checkout, ``engine/assets`` when installed)."""
    try:
        root = resources.files(ASSETS_PACKAGE)
    except ModuleNotFoundError:
        raise DesignerError(f"the bundled files (package {ASSETS_PACKAGE}) are not installed; "
                            "reinstall rnn-designer (pip install --force-reinstall rnn-designer)") from None
    if not isinstance(root, Path):  # e.g. imported from a zip file: the files need a real folder
        raise DesignerError(f"the bundled files are inside {root}, not a folder; install rnn-designer "
                            "unpacked (pip install rnn-designer)")
    log.debug("bundled files in %s", root)
    return root


def asset(relative: str) -> Path:
    """The bundled file or folder at ``relative`` (``"data/corpus.txt"``, ``"icons"``) under the assets folder.

    The path may not exist (a file a caller looks for); callers that need it check ``is_file()``.
    """
    return assets_root().joinpath(*relative.split("/"))


def example_paths() -> list[Path]:
    """The bundled example designs, sorted by file name."""
    folder = asset("examples")
    return sorted(folder.glob(f"*{EXAMPLE_SUFFIX}")) if folder.is_dir() else []


def is_bundled(path: str | Path) -> bool:
    """Whether ``path`` lies among the bundled files (an installed example: the window opens a copy
    of it, so Save never writes into the installation)."""
    try:
        Path(path).resolve().relative_to(assets_root().resolve())
    except (ValueError, OSError, DesignerError):
        return False
    return True


def package_version() -> str:
    """The installed version of rnn-designer (from the distribution's metadata)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"
