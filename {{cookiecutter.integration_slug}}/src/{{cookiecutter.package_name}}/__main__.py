"""``python -m <this package>``: the command line (serve, call, todo, regen, healthcheck)."""

from .cli import main

raise SystemExit(main())
