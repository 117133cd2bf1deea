"""`accord serve`: the HTTP API over the ledger (docs/http.md)."""

from __future__ import annotations

import click

from accord.cli import cli
from accord.cli._common import ledger
from accord.errors import UsageError
from accord.store.sql import SqlStore

DEFAULT_MAX_BODY = 16 * 1024 * 1024


@cli.command(short_help="Serve the HTTP API (tokens from `accord token create`).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes (PostgreSQL only; SQLite serves from one).")
@click.option("--key", default=None, type=click.Path(dir_okay=False), metavar="KEY",
              help="Private key (from `accord keygen`) that signs GET /v1/checkpoint.")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=click.IntRange(1024),
              metavar="BYTES", help="The largest request body taken (larger: 413).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, key: str | None, max_body: int) -> None:
    """Serve the HTTP API: record events, review, decide, read cases, queues, findings,
    incidents and proofs, each as the caller's token allows (docs/http.md).

    Each request is atomic and answered only after its transaction commits;
    concurrent requests share commits. SIGTERM finishes the requests in flight,
    then stops. TLS and public exposure belong to a reverse proxy in front.
    SQLite serves from one process; PostgreSQL from --workers processes, and
    from any number of hosts on one database.

    \b
    Examples:
      accord token create --person ann@example.com
      accord serve --port 8000
      accord --db postgresql://accord@db/accord serve --host 0.0.0.0 --workers 4 --key checkpoint.key
    """
    from accord.integrity.keys import load_signer
    from accord.web._run import serve as run

    opened = ledger(ctx, create=True)  # creates or upgrades the ledger, and warns an owner role
    sqlite = isinstance(opened.store, SqlStore) and opened.store.dialect == "sqlite"
    opened.close()
    if sqlite and workers > 1:
        raise UsageError(f"--workers {workers}: a SQLite ledger is served from one process (its writes "
                         "already share commits); use PostgreSQL for several workers or hosts")
    if key is not None:
        load_signer(key)  # an unreadable key stops here, before the server starts
    click.echo(f"accord serve: http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}); "
               "SIGTERM or Ctrl-C stops it", err=True)
    run(ctx.find_root().obj.db, host=host, port=port, workers=workers, key=key, max_body=max_body)
