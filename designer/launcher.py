"""The ``rnn-designer`` command: the window when run bare (or on a design file), the CLI otherwise.

It lives in ``designer`` because ``engine`` never imports the GUI; it imports Qt only when the
window is wanted, so ``rnn-designer check`` stays as quick as the engine alone.

A word that is neither a command nor a file (``rnn-designer chek``) is a typo, said on stderr
with the nearest command (exit 2) — never a window, and never a modal message box that nobody
can close on a machine without a screen. Without a screen a design that cannot be read is
refused the same way before any Qt code runs.
"""
from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path


def _looks_like_a_path(word: str) -> bool:
    return any(c in word for c in "/\\.") or word.startswith("~")


def refuse_before_the_window(word: str, commands: Sequence[str], headless: bool) -> str | None:
    """Why ``rnn-designer WORD`` must not open the window (a typo, a missing or unreadable file
    without a screen), in one line with what to do; None when the window may open."""
    path = Path(word).expanduser()
    if path.exists():
        if not headless:
            return None  # the window opens it and shows any problem in the window
        from engine.document.design_file import load_design
        from engine.errors import DesignFileError

        try:
            load_design(path)
        except DesignFileError as exc:
            return f"error: {exc}"
        return None
    if not _looks_like_a_path(word):
        near = difflib.get_close_matches(word, commands, n=1)
        hint = f"did you mean 'rnn-designer {near[0]}'? " if near else ""
        return (f"error: '{word}' is neither a command nor a design file; {hint}commands: {', '.join(commands)}; "
                "open a design with: rnn-designer FILE.rnnd")
    if headless:
        return f"error: {word}: no such design file"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from engine.cli.main import SUBCOMMANDS
    from engine.cli.main import main as cli_main

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        return cli_main(argv)
    if argv:
        from designer.app import has_display

        why = refuse_before_the_window(argv[0], SUBCOMMANDS, headless=not has_display())
        if why:
            print(why, file=sys.stderr)
            return 2
    from designer.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
