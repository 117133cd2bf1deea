"""The `accord` command line: parse input, make one call into the library, render.

Every :class:`~accord.errors.AccordError` is caught once, here, and printed as
the lines it carries (``path:line:col: …`` or ``where: field: …``), with its
exit code; a user never sees a traceback for their own mistake.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from accord.errors import AccordError

if TYPE_CHECKING:
    from accord.ledger import Ledger

DEFAULT_DB = "sqlite:///accord.db"


class Context:
    """What every command may need: the database URL, opened on first use."""

    def __init__(self, db: str) -> None:
        self.db = db
        self._ledger: Ledger | None = None

    def ledger(self, create: bool, read_only: bool) -> Ledger:
        """The ledger at ``db``; only writing commands pass ``create`` (others refuse a missing one),
        and commands that only read open it ``read_only``."""
        from accord.ledger import open as open_ledger

        if self._ledger is None:
            self._ledger = open_ledger(self.db, create=create, read_only=read_only)
            if not read_only:
                _warn_if_owner(self._ledger)
        return self._ledger


OWNER_WARNING = ("accord: warning: this PostgreSQL role owns accord_log or is a superuser, so it could "
                 "disable the log's append-only triggers; as this role run `accord db migrate --writer "
                 "ROLE`, then run accord as ROLE (docs/index.md, least privilege)")


def _warn_if_owner(ledger: Ledger) -> None:
    """One line on stderr when a command that writes runs as a role that can lift the log's guards."""
    from accord.store.sql import SqlStore

    if isinstance(ledger.store, SqlStore) and ledger.store.owns_log:
        click.echo(OWNER_WARNING, err=True)


SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Set up", ("init", "lint", "schema", "contract", "roster", "db")),
    ("Record", ("record", "case")),
    ("Review", ("queue", "tick", "findings", "incident", "learning", "drill")),
    ("Integrity", ("keygen", "checkpoint", "proof", "verify", "export")),
    ("Serve", ("serve", "token")),
    ("Try it", ("demo",)),
)
"""`accord --help` lists the commands in the order of the loop: set up, record, review, keep."""


def summary(command: click.Command) -> str:
    """A command's one-line summary: the first sentence of its help, never cut short."""
    if command.short_help:
        return command.short_help
    first = " ".join((command.help or "").split("\n\n", 1)[0].split())
    for end in (". ", "? ", ": "):
        head, found, _ = first.partition(end)
        if found and end != ": ":
            return head + end.strip()
    return first


class AccordGroup(click.Group):
    """A group whose help lists each command with its whole summary; the root groups them
    by SECTIONS (any command not placed there is listed under Other)."""

    group_class = type  # subgroups are AccordGroups too

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx) if not self.commands[n].hidden]
        sections = SECTIONS if ctx.parent is None else (("Commands", tuple(names)),)
        placed = {n for _, members in sections for n in members}
        others = tuple(n for n in names if n not in placed)
        width = max((len(n) for n in names), default=0)  # one column for every section
        for title, members in (*sections, ("Other", others)):
            rows = [(n.ljust(width), summary(self.commands[n])) for n in members if n in self.commands]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


@click.group(cls=AccordGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                "max_content_width": 100},
             epilog="Docs: docs/index.md (the guide), docs/cli.md (every command), "
                    "docs/events.md (the event format), docs/contracts.md (contracts and lint "
                    "rules), docs/findings.md, docs/integrity.md, docs/http.md (accord serve). "
                    "`accord COMMAND --help` shows a command's options and examples.")
@click.option("--db", envvar="ACCORD_DB", default=DEFAULT_DB, show_default=True, metavar="URL",
              help="Ledger database: sqlite:///FILE or postgresql://… (env ACCORD_DB).")
@click.version_option(package_name="accord")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """accord: accountability contracts and tamper-evident evidence for AI-assisted work.

    Write a contract per workflow, lint it in CI, apply it, record each case's
    evidence, and answer the ten-minute incident review from that evidence.

    \b
    Example:
      accord demo                                   # a month of work, in seconds
      accord --db postgresql://accord@db/accord findings --fail-on any
    """
    ctx.obj = Context(db)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn accord errors into one-line messages."""
    try:
        # Without standalone mode click returns ``ctx.exit(code)`` codes instead of raising them.
        code = cli.main(args=argv, prog_name="accord", standalone_mode=False)
    except AccordError as err:
        for line in err.lines():
            click.echo(f"accord: {line}" if not _located(line) else line, err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("accord: aborted", err=True)
        sys.exit(2)
    except click.ClickException as err:
        err.show()
        sys.exit(2)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _located(line: str) -> bool:
    """Whether an error line already names where it comes from (``path:line:col: …``)."""
    head = line.split(" ", 1)[0]
    if not head.endswith(":") or head.startswith("--"):
        return False
    return ":" in head[:-1] or "/" in head or "." in head


# Subcommand modules register themselves on `cli`.
from accord.cli import (  # noqa: E402, F401
    _contracts,
    _db,
    _demo,
    _incident,
    _integrity,
    _keys,
    _lint,
    _record,
    _runtime,
    _serve,
    _tokens,
)
