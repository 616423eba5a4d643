"""Post-generation hook: let the new project generate its own code.

Thin on purpose: the work is done by the project's own ``<package>.codegen``, which
the vendor can re-run any time (``python -m <package> regen``). A failure here
stops with one line, and cookiecutter removes the half-made project.
"""

import importlib.util
import json
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
PLAN_FILE = ".bake-plan.json"
# Machine-specific paths are not answers; everything else is recorded for re-generation.
NOT_RECORDED = ("_output_dir", "_repo_dir", "_copy_without_render")


def main() -> None:
    project_dir = Path.cwd()
    if importlib.util.find_spec("grpc_tools") is None:
        sys.exit(
            "error: grpcio-tools is needed to generate the gRPC code; install it with"
            f" `{sys.executable} -m pip install 'grpcio-tools>=1.76'` and generate again"
        )
    # Run codegen in this process: a second interpreter would cost its start-up.
    # Nothing is left behind: no bytecode caches in the new project.
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(project_dir / "src"))
    codegen = importlib.import_module(f"{ANSWERS['package_name']}.codegen.__main__")
    if codegen.main(["init", "--plan", str(project_dir / PLAN_FILE)]):
        sys.exit(1)  # codegen has already printed a one-line error
    (project_dir / PLAN_FILE).unlink()
    answers = {key: value for key, value in ANSWERS.items() if key not in NOT_RECORDED}
    (project_dir / ".cookiecutter.json").write_text(
        json.dumps(answers, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
