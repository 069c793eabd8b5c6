"""``python -m adapters.cli``: the same as the ``lifecycle`` command."""

import sys

from . import main

sys.exit(main())
