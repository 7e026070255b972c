"""The ``rnn-designer`` command line: argument parsing and printing only. Everything it runs is
library code elsewhere in :mod:`engine`. ``python -m engine.cli`` is ``rnn-designer``."""
