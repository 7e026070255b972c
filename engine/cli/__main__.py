"""``python -m engine.cli ...`` is ``rnn-designer ...`` (torchrun starts workers this way)."""
from __future__ import annotations

import sys

from engine.cli.main import main

sys.exit(main())
