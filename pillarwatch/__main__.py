import sys

from pillarwatch.cli import main

sys.exit(main())
