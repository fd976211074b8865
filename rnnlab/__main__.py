"""``python -m rnnlab``: the same as the ``rnnlab`` command."""

import sys

from rnnlab.cli import main

sys.exit(main())
