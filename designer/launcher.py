"""The ``rnn-designer`` command: the window when run bare (or on a design file), the CLI otherwise.

It lives in ``designer`` because ``engine`` never imports the GUI; it imports Qt only when the
window is wanted, so ``rnn-designer check`` stays as quick as the engine alone.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from engine.cli.main import SUBCOMMANDS
    from engine.cli.main import main as cli_main

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        return cli_main(argv)
    from designer.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
