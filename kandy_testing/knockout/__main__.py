"""``python -m kandy_testing.knockout``: run the knockout gate (see the package docstring)."""

from __future__ import annotations

import sys

from .run import main

sys.exit(main())
