"""``python -m rnnlab``: the same as the ``rnnlab`` command."""

import signal
import sys

# Ctrl-C while torch is being imported would raise inside its native start-up code (a
# traceback, or an abort): note the press instead, and act on it once the imports are done.
_pressed = []
_previous = signal.signal(signal.SIGINT, lambda signum, frame: _pressed.append(signum))
from rnnlab.cli import main  # noqa: E402

signal.signal(signal.SIGINT, _previous)
if _pressed:
    sys.stderr.write("rnnlab: interrupted\n")
    sys.exit(130)
sys.exit(main())
