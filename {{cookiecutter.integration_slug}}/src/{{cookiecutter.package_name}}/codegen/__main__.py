"""``python -m <package>.codegen``: run code generation (``<package>``: this one).

Needs only grpcio-tools (and protobuf), so the template's post-generation hook can
run it before the project is installed. Errors are one line, exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .layout import CodegenError, Layout


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="regen", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    init_parser = commands.add_parser(
        "init", help="first generation, from a bake plan (the hook runs it)"
    )
    init_parser.add_argument("--plan", type=Path, required=True)
    add_regen_arguments(
        commands.add_parser("regen", help="regenerate code from proto/ (the default)")
    )
    return parser


def add_regen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bundle",
        type=Path,
        help="first replace proto/ with the contract's services from this bundle",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report whether generated code is up to date (exit 1 if not)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only problems")


def run(arguments: argparse.Namespace, layout: Layout | None = None) -> int:
    # Imported here: the command line builds its parser from this module, and the
    # generator (grpc_tools, protoc) is only needed when it runs.
    from .generate import check, init, pull_bundle, read_plan, regen

    layout = layout or Layout.of_this_project()
    try:
        if arguments.command == "init":
            messages = init(layout, read_plan(arguments.plan))
        elif getattr(arguments, "check", False):
            stale = check(layout)
            for name in stale:
                print(f"out of date: {name}", file=sys.stderr)
            if stale:
                print("error: generated code is out of date; run regen", file=sys.stderr)
                return 1
            print("generated code is up to date")
            return 0
        else:
            messages = []
            seeds = None
            if getattr(arguments, "bundle", None):
                messages += pull_bundle(layout, arguments.bundle)
                # A bundle may ship documented samples (the template's catalog does).
                if (arguments.bundle / "samples").is_dir():
                    seeds = arguments.bundle / "samples"
            messages += regen(layout, seeds_dir=seeds)
    except CodegenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    quiet = getattr(arguments, "quiet", False)
    for message in messages:
        if message.startswith("warning"):
            print(message, file=sys.stderr)
        elif not quiet:
            print(message)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        arguments = parser.parse_args(["regen", *(argv if argv is not None else sys.argv[1:])])
    return run(arguments)


if __name__ == "__main__":
    raise SystemExit(main())
