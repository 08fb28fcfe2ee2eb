"""``python -m symlstm`` runs the command line."""

import sys

from symlstm.cli import main

sys.exit(main())
