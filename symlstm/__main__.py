"""``python -m symlstm`` runs the command line (Ctrl-C while it starts is one line too, not a traceback).

While the modules load, Ctrl-C is only noted: an interrupt raised inside a C extension's import (NumPy's)
surfaces as an ImportError with a traceback, not as KeyboardInterrupt. Once loaded, a noted Ctrl-C ends the
run before it writes anything.
"""

import signal
import sys

_interrupted = []
_previous = signal.signal(signal.SIGINT, lambda signum, frame: _interrupted.append(signum))
try:
    from symlstm.cli import main
finally:
    signal.signal(signal.SIGINT, _previous)
if _interrupted:
    print("symlstm: interrupted (nothing was written)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
