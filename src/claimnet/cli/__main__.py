"""``python -m claimnet.cli``: the same as the ``claimnet`` command."""

import sys

from claimnet.cli import main

sys.exit(main())
