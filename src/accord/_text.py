"""User text made safe to print: no control characters reach a terminal or a plain-text file.

Every value a client, a contract or a roster provides (case ids, summaries, notes,
contents, person ids, uris …) may hold an ESC sequence that clears a screen or
recolours what follows, a newline that forges a line of output, or a bidi override
that shows text in another order than it is stored. What the command line and the
text brief print of such values goes through :func:`safe_line` (a one-line field)
or :func:`safe_block` (multi-line text); neither changes what is stored.
"""

from __future__ import annotations

__all__ = ["one_line", "safe_block", "safe_line"]

_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# Trojan Source's list (CVE-2021-42574): embeddings, overrides, isolates and the marks.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _visible(code: int) -> str:
    """What a control character is shown as: its Control Pictures sign (␛ for ESC), else �."""
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


_CONTROLS = {c: _visible(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0), *map(ord, _BIDI)]}
_LINE = {**_CONTROLS, **{ord(c): " " for c in _LINE_BREAKS + "\t"}}
_BLOCK = {**_CONTROLS, **{ord(c): "\n" for c in _LINE_BREAKS}, ord("\t"): "\t"}


def safe_line(text: str) -> str:
    """``text`` as one printable line: line breaks and tabs become spaces, and every other
    control character (ESC, DEL, C1, bidi controls) is replaced by a visible sign."""
    return text.translate(_LINE)


def safe_block(text: str) -> str:
    """Multi-line ``text`` made printable: its line breaks become ``\\n`` (CR LF counts once),
    tabs stay, and every other control character is replaced by a visible sign."""
    return text.replace("\r\n", "\n").translate(_BLOCK)


def one_line(text: str, width: int | None = None) -> str:
    """``text`` on one printable line (whitespace runs become one space), cut to ``width``
    characters with an ellipsis when given."""
    flat = " ".join(safe_line(text).split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"
