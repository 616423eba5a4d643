"""Import statements laid out as ``ruff`` (isort rules, ``ruff format``) wants them.

Codegen edits modules that belong to the vendor (a new RPC needs a stub method and the
imports of its messages), so those edits must leave the file as ``ruff check`` and
``ruff format --check`` accept it, without running ruff: it is only a dev dependency.
The rules reproduced are ruff's defaults: sections (future, standard library, third
party, first party, local) separated by one blank line; in a section ``import x``
before ``from x import y``, modules case-insensitively, relative ones furthest first;
names constants first, then classes, then the rest; a statement longer than the line
wraps in parentheses, one name per line, with a trailing comma.
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterable

from .pysource import LINE_LENGTH

FUTURE, STDLIB, THIRD_PARTY, FIRST_PARTY, LOCAL = range(5)
# The project's own top-level packages (ruff's ``src = ["src", "tests"]``).
FIRST_PARTY_PACKAGES = frozenset({(__package__ or "").split(".")[0], "tests"})


def section(module: str) -> int:
    """The isort section of a ``from module import ...`` (``..x`` is local)."""
    if module.startswith("."):
        return LOCAL
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in sys.stdlib_module_names:
        return STDLIB
    return FIRST_PARTY if top in FIRST_PARTY_PACKAGES else THIRD_PARTY


def module_key(module: str, *, straight: bool = False) -> tuple[int, int, str]:
    """Order inside a section: ``import x`` first, then relative ones furthest first."""
    level = len(module) - len(module.lstrip("."))
    return (0 if straight else 1, -level, module.lstrip(".").lower())


def member_key(member: str) -> tuple[int, str, str]:
    """ruff's ``order-by-type``: CONSTANTS, then Classes, then everything else."""
    name = member.split(" as ")[0]
    if len(name) > 1 and name.isupper():
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, name.lower(), member)


def format_from(module: str, members: Iterable[str], *, expand: bool = False) -> str:
    """One ``from module import ...`` statement (no final newline); members sorted."""
    names = sorted(set(members), key=member_key)
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH and not expand:
        return line
    return f"from {module} import (\n" + "".join(f"    {name},\n" for name in names) + ")"


def from_imports(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The ``from`` statements for ``(module, name)`` pairs, one per module, in order.

    For a new module: sections are not separated here, callers group them.
    """
    grouped: dict[str, set[str]] = {}
    for module, name in pairs:
        grouped.setdefault(module, set()).add(name)
    ordered = sorted(grouped, key=lambda module: (section(module), module_key(module)))
    return [format_from(module, grouped[module]) for module in ordered]


def import_block(pairs: Iterable[tuple[str, str]]) -> str:
    """The import lines of a new module: sections separated by a blank line."""
    statements = from_imports(pairs)
    out: list[str] = []
    previous: int | None = None
    for statement in statements:
        current = section(statement.split()[1])
        if previous is not None and current != previous:
            out.append("")
        out.append(statement)
        previous = current
    return "".join(f"{line}\n" for line in out)


def _module_of(node: ast.ImportFrom) -> str:
    return "." * node.level + (node.module or "")


def _members(node: ast.ImportFrom) -> list[str]:
    return [f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names]


def _leading_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The module's import block: top-level imports before any other statement."""
    nodes: list[ast.Import | ast.ImportFrom] = []
    for index, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            nodes.append(node)
        elif not (index == 0 and isinstance(node, ast.Expr)):  # a docstring may come first
            break
    return nodes


def _node_key(node: ast.Import | ast.ImportFrom) -> tuple[int, tuple[int, int, str]]:
    if isinstance(node, ast.ImportFrom):
        module = _module_of(node)
        return section(module), module_key(module)
    module = node.names[0].name
    return section(module), module_key(module, straight=True)


def _rewritable(node: ast.ImportFrom, lines: list[str]) -> bool:
    """Only a statement alone on its lines, without comments, is rewritten."""
    assert node.end_lineno is not None
    assert node.end_col_offset is not None
    text = lines[node.lineno - 1 : node.end_lineno]
    return (
        node.col_offset == 0
        and "#" not in "".join(text)
        and text[-1][node.end_col_offset :].strip() == ""
    )


def add_imports(source: str, pairs: Iterable[tuple[str, str]]) -> str:
    """Make sure ``from module import name`` holds for each pair, editing in place.

    A name joins an existing import of its module (one line or parenthesized); a new
    module gets a statement of its own, at its place in its section (a new section
    where it belongs). Statements with comments are never rewritten; a name they
    lack then gets a statement of its own.
    """
    wanted: dict[str, set[str]] = {}
    for module, name in pairs:
        wanted.setdefault(module, set()).add(name)
    for module in sorted(wanted, key=lambda m: (section(m), module_key(m))):
        source = _add_one(source, module, wanted[module])
    return source


def _add_one(source: str, module: str, names: set[str]) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    same = [
        node
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and _module_of(node) == module
    ]
    present = {
        alias.name
        for node in same
        for alias in node.names
        if alias.asname is None or alias.asname == alias.name
    }
    missing = names - present
    if not missing:
        return source
    block = _leading_imports(tree)
    target = next(
        (node for node in same if node in block and _rewritable(node, lines)),
        None,
    )
    if target is not None:
        assert target.end_lineno is not None
        # A trailing comma keeps a statement wrapped (ruff's "magic trailing comma").
        text = "".join(lines[target.lineno - 1 : target.end_lineno]).rstrip()
        expand = text.endswith(")") and text[:-1].rstrip().endswith(",")
        statement = format_from(module, [*_members(target), *missing], expand=expand)
        lines[target.lineno - 1 : target.end_lineno] = [statement + "\n"]
        return "".join(lines)
    statement = format_from(module, missing) + "\n"
    key = (section(module), module_key(module))
    in_section = [node for node in block if _node_key(node)[0] == key[0]]
    if in_section:
        after = [node for node in in_section if _node_key(node) > key]
        if after:
            lines.insert(after[0].lineno - 1, statement)
        else:
            end = in_section[-1].end_lineno
            assert end is not None
            lines.insert(end, statement)
        return "".join(lines)
    earlier = [node for node in block if _node_key(node)[0] < key[0]]
    later = [node for node in block if _node_key(node)[0] > key[0]]
    if earlier:
        end = earlier[-1].end_lineno
        assert end is not None
        lines.insert(end, "\n" + statement)
    elif later:
        lines.insert(later[0].lineno - 1, statement + "\n")
    else:
        first = tree.body[0] if tree.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
            and first.end_lineno is not None
        ):
            position = first.end_lineno  # after the docstring
            lines.insert(position, "\n" + statement)
        else:
            position = 0
            lines.insert(position, statement)
        # The first import block: ruff wants two blank lines after it before a class
        # or function, one before other code.
        rest = lines[position + 1 :]
        blank = len(rest) - len(list(itertools.dropwhile(lambda line: not line.strip(), rest)))
        following = rest[blank] if blank < len(rest) else ""
        wanted = 2 if following.startswith(("class ", "def ", "async def ", "@")) else 1
        lines[position + 1 : position + 1 + blank] = ["\n"] * (wanted if following else 0)
    return "".join(lines)
