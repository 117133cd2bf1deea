"""Times as accord reads and writes them: RFC 3339 in, ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` out."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["format_time", "human_time", "parse_time"]


# RFC 3339 §5.6 date-time; fromisoformat alone also takes ISO 8601 forms such as week
# dates (2026-W48-4) and times without seconds.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def parse_time(text: str) -> dt.datetime:
    """An RFC 3339 timestamp with an offset, as an aware UTC datetime; ValueError otherwise."""
    if not isinstance(text, str) or not _RFC3339.fullmatch(text):
        raise ValueError(f"{text!r} is not an RFC 3339 time like 2026-11-26T10:02:11Z")
    try:
        value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 time like 2026-11-26T10:02:11Z") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no offset: add Z or +HH:MM")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{text!r} lies outside the years 0001 to 9999 once turned into UTC") from None


def format_time(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC, the fraction dropped when zero."""
    # isoformat, not strftime: the same text (years 1..9999 are four digits) at a third of the cost.
    if value.tzinfo is dt.UTC:  # the clock's own times: drop the "+00:00" isoformat writes
        return value.isoformat()[:-6] + "Z"
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_time(value: str | dt.datetime) -> str:
    """A time as a person reads it in a brief: ``21 Oct 2026, 11:41 UTC`` (to the minute).

    Takes an aware datetime or a stored RFC 3339 time; raises ValueError for anything else.
    """
    when = parse_time(value) if isinstance(value, str) else value.astimezone(dt.UTC)
    # not strftime's %b: it follows the process locale, and a brief reads the same everywhere
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}, {when.hour:02d}:{when.minute:02d} UTC"
