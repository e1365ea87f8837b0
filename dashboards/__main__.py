"""`python -m dashboards build|push`."""

import sys

from dashboards.cli import main

sys.exit(main())
