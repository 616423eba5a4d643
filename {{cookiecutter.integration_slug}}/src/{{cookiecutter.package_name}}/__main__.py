"""``python -m {{ cookiecutter.package_name }}``: the command line (serve, call, todo, regen)."""

from .cli import main

raise SystemExit(main())
