"""``python -m symlstm`` runs the command line (Ctrl-C while it starts is one line too, not a traceback)."""

import sys

try:
    from symlstm.cli import main
except KeyboardInterrupt:
    print("symlstm: interrupted (nothing was written)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
