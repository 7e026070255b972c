"""RNN Designer's bundled files: icons, example designs, the design-format JSON Schema, small data.

This folder is installed as the package ``engine.assets`` (see ``pyproject.toml``), so the files
travel inside a wheel. Read them through :mod:`engine.resources`, never by a path relative to a
source file.
"""
