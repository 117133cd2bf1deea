"""API tokens for `accord serve`: create (the secret is printed once), list, revoke."""

from __future__ import annotations

import datetime as dt

import click

from accord.cli import cli
from accord.cli._common import echo_json, echo_line, json_option, ledger, whole_seconds
from accord.errors import UsageError
from accord.vocab import duration_seconds


def _expires_in(value: str) -> dt.timedelta | None:
    if value.strip().lower() == "never":
        return None
    try:
        return dt.timedelta(seconds=duration_seconds(value.strip()))
    except ValueError as err:
        raise UsageError(f"--expires: {err} (or never)") from None


@cli.group()
def token() -> None:
    """API tokens for `accord serve`: who may call it, as whom.

    A person's token acts as that person (their roles come from the roster);
    --admin and --auditor add what the docs (docs/http.md) describe. A
    system's token records the case facts of the workflows it is granted.

    \b
    Examples:
      accord token create --person ann@example.com
      accord token create --system refund-drafter --workflow refund-replies --expires 30d
      accord token list
      accord token revoke 3f9a0c1d2e4b
    """


@token.command("create")
@click.option("--person", default=None, metavar="ID", help="The person the token acts as (an e-mail, say).")
@click.option("--admin", is_flag=True, help="The person may apply contracts and rosters, and read all.")
@click.option("--auditor", is_flag=True, help="The person may read every case, verify and export.")
@click.option("--system", default=None, metavar="NAME", help="The system the token acts as (system:NAME).")
@click.option("--workflow", "workflows", multiple=True, metavar="W",
              help="A workflow the system records for; repeat for several.")
@click.option("--expires", default="90d", show_default=True, metavar="DURATION",
              help="How long the token lasts: 30s, 15m, 4h, 90d, or never.")
@json_option
@click.pass_context
def token_create(ctx: click.Context, person: str | None, admin: bool, auditor: bool, system: str | None,
                 workflows: tuple[str, ...], expires: str, as_json: bool) -> None:
    """Make a token and print its secret, once: only its SHA-256 is kept.

    Creating a token appends token.created to the log (its id, subject, grants
    and expiry; never the secret), so who could act is tamper-evident.

    \b
    Examples:
      accord token create --person dana@example.com --auditor --json
      accord token create --system refund-drafter --workflow refund-replies
    """
    made = ledger(ctx, create=True).create_token(person=person, system=system, admin=admin, auditor=auditor,
                                                 workflows=workflows, expires_in=_expires_in(expires))
    if as_json:
        echo_json(made.as_json())
        return
    grants = ", ".join(made.grants) or "roles from the roster"
    echo_line(f"token {made.id} for {made.subject} ({made.kind}; {grants}), "
              f"expires {whole_seconds(made.expires) if made.expires else 'never'}")
    click.echo(made.token)
    click.echo("keep it now: it is not shown again (Authorization: Bearer <token>)", err=True)


@token.command("list")
@json_option
@click.pass_context
def token_list(ctx: click.Context, as_json: bool) -> None:
    """List every token, never its secret.

    Each token shows its id, subject, kind, grants, created, expires and revoked.

    \b
    Example:
      accord token list --json
    """
    found = ledger(ctx, read_only=True).tokens()
    if as_json:
        echo_json({"tokens": [t.as_json() for t in found]})
        return
    if not found:
        click.echo("no tokens (make one with `accord token create`)")
    for t in found:
        state = f"revoked {whole_seconds(t.revoked)}" if t.revoked else (
            f"expires {whole_seconds(t.expires)}" if t.expires else "never expires")
        echo_line(f"{t.id}  {t.subject:<28} {t.kind:<7} {', '.join(t.grants) or '-':<24} "
                  f"created {whole_seconds(t.created)}  {state}")


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@json_option
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, as_json: bool) -> None:
    """Revoke a token from now on; token.revoked joins the log.

    \b
    Example:
      accord token revoke 3f9a0c1d2e4b
    """
    revoked = ledger(ctx).revoke_token(token_id)
    if as_json:
        echo_json(revoked.as_json())
        return
    echo_line(f"token {revoked.id} for {revoked.subject} revoked at {whole_seconds(revoked.revoked or '')}")
