"""`python -m pillarwatch.models.marker_eval` is `pillarwatch markers`."""

from pillarwatch.models.marker_eval.cli import main

raise SystemExit(main())
