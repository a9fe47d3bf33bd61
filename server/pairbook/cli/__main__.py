"""`python -m pairbook.cli`: the supervisor starts the server process this way."""

import sys

from pairbook.cli import main

sys.exit(main())
