"""`python -m services.cli`: the platform's documented flow from a shell (see services/cli/api.py)."""

import sys

from services.cli.api import main

sys.exit(main())
