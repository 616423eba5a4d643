"""Pre-generation hook: check every answer, or stop with one line saying what to fix.

Answers arrive as JSON (``tojson`` then ``json.loads``), so quotes, backslashes and
any script are safe. The checks live in ``hooks/bake_plan.py`` (unit-tested); this
file only finds the template, runs them and leaves the plan for the post hook.
"""

import json
import os
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")


def template_dir() -> Path:
    """The template checkout: cookiecutter passes it; cruft only passes its source."""
    # cruft passes no _repo_dir, but cookiecutter runs hooks from inside the template
    # checkout it renders, so the parent process's working directory is it (Linux:
    # /proc). That comes before _template, where cruft passes the template's source,
    # not the checkout of the commit it renders (``cruft update`` renders two).
    candidates = [ANSWERS.get("_repo_dir"), f"/proc/{os.getppid()}/cwd", ANSWERS.get("_template")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "proto_catalog" / "catalog.json").is_file():
            return Path(candidate).resolve()
    sys.exit(
        "error: cannot find the template's proto_catalog/ (generate with cookiecutter or cruft)"
    )


def main() -> None:
    root = template_dir()
    sys.dont_write_bytecode = True  # keep the template checkout clean
    sys.path.insert(0, str(root / "hooks"))
    import bake_plan

    project_dir = Path.cwd()
    try:
        plan = bake_plan.make_plan(
            ANSWERS, catalog_dir=root / "proto_catalog", output_dir=project_dir.parent
        )
    except bake_plan.AnswerError as error:
        sys.exit(f"error: {error}")
    plan_path = project_dir / bake_plan.PLAN_FILE
    plan_path.write_text(json.dumps(plan, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
