"""Catalog text made safe to print: nothing in a name or a note can drive the terminal.

Catalog files come from anyone (``--catalog FILE``, the config folder), and their text is
shown to a person: an ESC in a project's name could clear the screen, set the window title
(OSC) or hide what follows; a right-to-left override or a zero-width space could make one
name read as another. Every human-facing renderer passes catalog text through
:func:`safe_text` (terminal views) or :func:`markdown_text` (Markdown), and a link is made
only from what :func:`http_url` accepts. Machine formats (JSON, YAML) carry the exact data.

What is replaced:

- C0 and C1 control characters, U+0000-U+001F and U+007F-U+009F (ESC, BEL, the 8-bit
  CSI U+009B ...), except newline and tab when the layout keeps lines (``keep_lines``);
- the bidirectional embedding, override and isolate characters, U+202A-U+202E and
  U+2066-U+2069;
- the zero-width characters U+200B-U+200D, U+2060 and U+FEFF.

Each becomes a visible escape, ``\\x1b`` for ESC, ``\\u202e`` for the override, rather than
U+FFFD or ``?``: the reader sees that something was there and exactly what, and the escape
is the one a YAML double-quoted scalar uses, so it can be searched for in the file and
fixed. Backslashes themselves are left alone (a name may hold a Windows path): a literal
``\\x1b`` typed in a file looks the same, which is harmless, since it is inert either way.
Every replacement is plain printable ASCII, so the function is idempotent.

The translation tables are built once, at import; ``str.translate`` costs about as much
as a copy of the text, so renderers may call it on every cell.
"""

from __future__ import annotations

_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# escapes every character above, newline and tab included: for one-line labels
_ONE_LINE = {code: _escape(code) for code in (*_CONTROLS, *_BIDI, *_ZERO_WIDTH)}
# the same, but newline and tab kept: for notes and messages laid out on several lines
_LINES = {code: text for code, text in _ONE_LINE.items() if code not in (0x09, 0x0A)}

# Markdown's inline syntax (emphasis, code, links, strikethrough, tables) is backslash-
# escaped; HTML's three specials become entities, so no tag or entity reaches the page.
_MARKDOWN = {
    **{ord(c): "\\" + c for c in "\\`*_[]|~"},
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
}

# In a link's destination these would end it or break the table it sits in.
_URL_UNSAFE = {ord(c): f"%{ord(c):02X}" for c in '()<>"`|\\'}


def safe_text(text: str, keep_lines: bool = True) -> str:
    """``text`` with control, bidirectional and zero-width characters shown as escapes
    (see the module's docstring); newline and tab stay when ``keep_lines``."""
    return text.translate(_LINES if keep_lines else _ONE_LINE)


def markdown_text(text: str) -> str:
    """``text`` as inert Markdown on one line: whitespace collapsed (no new line can start
    a heading or a list), controls escaped, Markdown and HTML special characters escaped."""
    return safe_text(" ".join(text.split()), keep_lines=False).translate(_MARKDOWN)


def http_url(url: str | None) -> str | None:
    """``url`` fit for a Markdown link's destination, or None: only http and https with a
    host (no ``javascript:``, ``data:`` or ``file:``), nothing invisible or on two lines;
    the characters that would end the destination are percent-encoded."""
    from urllib.parse import urlsplit

    if not url or safe_text(url, keep_lines=False) != url or url != "".join(url.split()):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.translate(_URL_UNSAFE)
