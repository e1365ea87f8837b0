"""`python -m pillarwatch.dashboards build|push`."""

import sys

from pillarwatch.dashboards.cli import main

sys.exit(main())
