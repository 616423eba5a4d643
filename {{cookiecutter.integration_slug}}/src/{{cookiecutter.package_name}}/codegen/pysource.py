"""Small helpers to emit Python source that ``ruff format`` leaves as it is."""

from __future__ import annotations

import json
import re
import textwrap

LINE_LENGTH = 100
# Characters that must not appear raw in source: all controls but newline and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def string_literal(text: str) -> str:
    """A double-quoted Python literal of any text (quotes, backslashes, any script)."""
    return json.dumps(text, ensure_ascii=False)


def docstring(text: str, indent: str) -> str:
    """A docstring block at ``indent``, wrapped to the line length, safely escaped.

    Any text is safe: backslashes, triple quotes, a quote at either end and control
    characters are escaped; a word longer than the line stays whole on its own line
    (``ruff`` accepts a line that is a single word).
    """
    text = text.replace("\r\n", "\n").replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text).strip()
    text = text or "Not documented in the contract."
    if text.startswith('"'):  # four quotes in a row would read ambiguously
        text = "\\" + text
    if text.endswith('"'):
        before = text[:-1]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:  # the quote is not escaped
            text = before + '\\"'
    # Room for the quotes on both sides, so a one-line docstring always fits.
    width = LINE_LENGTH - len(indent) - 6
    paragraphs = [_wrap(paragraph, width) for paragraph in text.split("\n\n")]
    body = "\n\n".join(paragraphs)
    lines = body.splitlines()
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    out = [f'{indent}"""{lines[0]}']
    out += [f"{indent}{line}" if line else "" for line in lines[1:]]
    out.append(f'{indent}"""')
    return "\n".join(out) + "\n"


def call(callee: str, arguments: list[str], indent: str) -> str:
    """A call laid out as ``ruff format`` does: one line, or arguments on their own line(s)."""
    flat = f"{indent}{callee}({', '.join(arguments)})"
    if len(flat) <= LINE_LENGTH:
        return flat + "\n"
    inner = f"{indent}    {', '.join(arguments)}"
    if len(inner) <= LINE_LENGTH:
        return f"{indent}{callee}(\n{inner}\n{indent})\n"
    return (
        f"{indent}{callee}(\n" + "".join(f"{indent}    {a},\n" for a in arguments) + f"{indent})\n"
    )


def _wrap(paragraph: str, width: int) -> str:
    # Keep list items and indented lines as written; re-flow plain prose.
    lines = paragraph.splitlines()
    if any(line.lstrip().startswith(("-", "*", "|")) or line.startswith(" ") for line in lines):
        return "\n".join(_fill(line, width, subsequent_indent="  ") for line in lines)
    return _fill(" ".join(line.strip() for line in lines), width)


def _fill(text: str, width: int, subsequent_indent: str = "") -> str:
    # Never split a word: a long URL stays whole (ruff accepts a line that is one long word).
    return textwrap.fill(
        text,
        width,
        subsequent_indent=subsequent_indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
