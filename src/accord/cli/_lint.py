"""accord CLI commands."""

from __future__ import annotations
