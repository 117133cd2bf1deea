"""`accord db migrate`: the owner creates or upgrades the schema and grants the roles accord runs as."""

from __future__ import annotations

import click

from accord.cli import cli
from accord.cli._common import echo_json, json_option
from accord.store.privileges import Migrated, migrate


@cli.group(short_help="The ledger's database: its schema, and who may do what to it.")
def db() -> None:
    """The ledger's database: its schema, and who may do what to it.

    \b
    Example:
      accord --db 'postgresql://accord_owner@db.internal/ledgers' db migrate --writer accord_writer
    """


@db.command("migrate", short_help="Create or upgrade the schema, as the role that owns its tables.")
@click.option("--writer", "writers", multiple=True, metavar="ROLE",
              help="Grant ROLE what accord needs to record (PostgreSQL): USAGE on the schema, "
                   "SELECT and INSERT on accord_log, SELECT on accord_meta and alembic_version; "
                   "nothing else on them. Repeatable.")
@click.option("--reader", "readers", multiple=True, metavar="ROLE",
              help="Grant ROLE read-only access, for verify, export, checkpoint and the other "
                   "commands that only read (PostgreSQL). Repeatable.")
@json_option
@click.pass_context
def db_migrate(ctx: click.Context, writers: tuple[str, ...], readers: tuple[str, ...],
               as_json: bool) -> None:
    """Create or upgrade the ledger's schema; run it as the role that owns its tables.

    On PostgreSQL the owner of the tables (and any superuser) can disable the
    triggers that keep the log append-only; a writer role granted here can only
    read and insert. Run this as the owner, then run accord as the writer. It
    changes nothing when run again; after upgrading accord, run it before the
    writers (they may not upgrade the schema). On SQLite it creates or upgrades
    the file; roles do not apply there.

    \b
    Example:
      accord --db 'postgresql://accord_owner@db.internal/ledgers' db migrate \\
          --writer accord_writer --reader accord_auditor
      accord --db 'postgresql://accord_writer@db.internal/ledgers' record events.jsonl
    """
    migrated = migrate(ctx.find_root().obj.db, writers=writers, readers=readers)
    if as_json:
        echo_json(migrated.as_json())
    else:
        click.echo(_summary(migrated))
        for g in migrated.grants:
            tables = "; ".join(f"{privileges} on {table}" for table, privileges in g.tables.items())
            click.echo(f"{g.access} {g.role}: USAGE on schema {g.schema}; {tables}")
    if migrated.backend == "sqlite" and (writers or readers):
        click.echo("accord: SQLite has no roles: --writer and --reader do not apply (whoever can write "
                   "the file can change it: protect it with file permissions, keep checkpoints elsewhere)",
                   err=True)


def _summary(migrated: Migrated) -> str:
    if migrated.found is None:
        state = "created"
    elif migrated.found == migrated.revision:
        state = "already current"
    else:
        state = f"upgraded from {migrated.found}"
    owner = f", owned by {migrated.owner}" if migrated.owner else ""
    return f"ledger at {migrated.url}: schema {migrated.revision} ({state}){owner}"
