"""How a long job tells its caller how far it has come (the command line draws a bar)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called as a long job goes with (items done, items in all); the job's result does not depend
on it. A caller that draws should throttle itself; jobs call it every STEP items and at the end."""

STEP = 256
"""Items between two calls: often enough for a bar, rare enough to cost nothing."""
