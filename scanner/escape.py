"""Text from outside (cluster objects, manifests, policy folders, stored results, a scanner's
stderr) made safe for the output it is written to: one escaping rule per output.

- terminal: every control character (C0 with newline, carriage return and tab; DEL; C1), the
  bidirectional overrides and the Unicode line separators are shown as escapes (`\\x1b`, `\\n`,
  `\\u202e`), so a string is always one record on one line and never moves the cursor, changes a
  title or colours the screen. `terminal_lines` keeps our own newlines and tabs and escapes the rest: the
  last guard on a whole rendered text.
- Markdown: `markdown_cell` for table cells, list items and `<details>` text (pipes, emphasis,
  links, HTML and line breaks inert); `markdown_code` for an inline code span and
  `markdown_fence` for a fenced block, each with a fence longer than any run of backticks inside.
- HTML: `html.escape` on every string (harness.report.html); nothing from outside is pasted.

Pure: no I/O.
"""

from __future__ import annotations

import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0, DEL, C1; the bidi embeddings, overrides and isolates; line and paragraph separators; BOM-less
# zero-width controls that reorder or hide text.
_CONTROL = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff"
_ALL_CONTROLS = re.compile(f"[{_CONTROL}]")
# Newlines and tabs are the layout of our own tables and records; every other control is escaped.
_CONTROLS_BUT_NEWLINE = re.compile(f"(?![\n\t])[{_CONTROL}]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """`text` as one terminal line: every control character shown as an escape."""
    return _ALL_CONTROLS.sub(_escaped, text)


def terminal_lines(text: str) -> str:
    """A rendered text for the terminal: its newlines and tabs kept, every other control character escaped."""
    return _CONTROLS_BUT_NEWLINE.sub(_escaped, text)


# Cells and list items never start a line, so only inline syntax needs escaping; with [ and ]
# escaped no link or image can form, and < > & become entities (no HTML, no autolink).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def markdown_cell(text: str) -> str:
    """Inline Markdown text that renders as itself: no table break, emphasis, link, HTML or new line."""
    one_line = terminal(text)
    inert = "".join(_HTML_SPECIAL.get(char, char) for char in one_line)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", inert)


def _fence_for(text: str, least: int) -> str:
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    return "`" * max(least, longest + 1)


def markdown_code(text: str) -> str:
    """An inline code span holding `text` on one line, whatever backticks it contains."""
    one_line = terminal(text).replace("|", "\\|")  # a pipe ends a table cell even inside a code span
    fence = _fence_for(one_line, 1)
    pad = " " if one_line[:1] in ("`", " ") or one_line[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def markdown_fence(lines: list[str]) -> list[str]:
    """A fenced code block holding `lines`, each one line; the fence outlasts any backtick run inside."""
    body = [terminal(line) for line in lines]
    fence = _fence_for("\n".join(body), 3)
    return [fence, *body, fence]
