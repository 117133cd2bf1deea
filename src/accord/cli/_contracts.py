"""Setting up: contracts and the roster (apply, list, show)."""

from __future__ import annotations

import click
import yaml

from accord.cli import cli
from accord.cli._common import (
    echo_json,
    echo_line,
    json_option,
    ledger,
    now_option,
    parse_now,
    whole_seconds,
)
from accord.errors import UsageError


@cli.group()
def contract() -> None:
    """Apply, list and show accountability contracts.

    Every applied version is kept with its hash; a case pins the version in
    force when it opened. A contract with lint errors is refused. The format
    and the lint rules: docs/contracts.md.

    \b
    Examples:
      accord contract apply contracts/
      accord contract list
    """


@contract.command("apply", short_help="Lint and apply contract files or folders, all or nothing.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path())
@click.option("--by", "actor", default="system:accord", show_default=True,
              help="Who applies it (recorded on contract.applied).")
@json_option
@click.pass_context
def contract_apply(ctx: click.Context, paths: tuple[str, ...], actor: str, as_json: bool) -> None:
    """Lint and apply contracts: files, or folders searched as `accord lint` searches them.

    Every `kind: contract` file found is linted with the others and the roster
    in force, and applied in one go: one lint error anywhere and nothing is
    applied (every problem is listed). A contract identical to its workflow's
    latest version is left as it is. Rosters found in a folder are skipped:
    apply them with `accord roster apply`.

    \b
    Examples:
      accord contract apply contracts/refund-replies.yaml
      accord contract apply contracts/
    """
    applied = ledger(ctx, create=True).apply_contracts(list(paths), actor=actor)
    if as_json:
        echo_json({"contracts": [{"workflow": a.workflow, "version": a.version, "hash": a.hash,
                                  "applied": a.new} for a in applied]})
        return
    for a in applied:
        what = "applied as" if a.new else "unchanged, still"
        click.echo(f"{a.workflow}: {what} version {a.version} (sha256 {a.hash[:16]}…)")


@contract.command("list")
@json_option
@click.pass_context
def contract_list(ctx: click.Context, as_json: bool) -> None:
    """List every applied contract version.

    \b
    Example:
      accord contract list --json
    """
    applied = ledger(ctx, read_only=True).contracts()
    if as_json:
        echo_json({"contracts": [c.as_json() for c in applied]})
        return
    if not applied:
        click.echo("no contracts applied yet: run `accord contract apply FILE`")
    for c in applied:
        click.echo(f"{c.workflow:<28} v{c.version:<4} {whole_seconds(c.at)}  sha256 {c.hash[:16]}…")


@contract.command("show")
@click.argument("workflow")
@click.option("--version", "version", type=int, default=None, help="A version (default: latest).")
@json_option
@click.pass_context
def contract_show(ctx: click.Context, workflow: str, version: int | None, as_json: bool) -> None:
    """Print an applied contract (YAML, or JSON with --json).

    \b
    Examples:
      accord contract show refund-replies
      accord contract show refund-replies --version 1 --json
    """
    applied = ledger(ctx, read_only=True).contract(workflow, version)
    body = applied.contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    if as_json:
        echo_json({"workflow": workflow, "version": applied.version, "hash": applied.hash,
                   "applied_at": applied.at, "contract": body})
        return
    click.echo(f"# {workflow} version {applied.version}, applied {whole_seconds(applied.at)}, "
               f"sha256 {applied.hash}")
    click.echo(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), nl=False)


@cli.group()
def roster() -> None:
    """Apply and show the roster: who holds which role, when.

    \b
    Examples:
      accord roster apply roster.yaml
      accord roster show
    """


@roster.command("apply")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--by", "actor", default="system:accord", show_default=True,
              help="Who applies it (recorded on roster.applied).")
@click.option("--amend-past", is_flag=True,
              help="Allow removing or shortening holdings on days before today (needs --reason).")
@click.option("--reason", default=None, metavar="TEXT",
              help="Why the past is amended; kept in the log with the roster.")
@json_option
@click.pass_context
def roster_apply(ctx: click.Context, file: str, actor: str, amend_past: bool, reason: str | None,
                 as_json: bool) -> None:
    """Apply a roster FILE; the latest applied roster is authoritative.

    The past is not rewritten silently: a roster that removes or shortens who
    held a role on a day before today is refused, listing each change, unless
    --amend-past --reason says why. An owner role (outcome, threshold, sampling
    or learning owner of an applied contract) may have one holder at a time.

    \b
    Examples:
      accord roster apply roster.yaml
      accord roster apply roster.yaml --amend-past --reason "ines left on 2026-10-01, not 10-18"
    """
    if amend_past and not (reason or "").strip():
        raise UsageError("--amend-past needs --reason TEXT: say why the record of the past changes")
    if reason and not amend_past:
        raise UsageError("--reason goes with --amend-past")
    applied = ledger(ctx, create=True).apply_roster(file, actor=actor,
                                                    amend_past=reason if amend_past else None)
    if as_json:
        echo_json(applied.as_json())
    else:
        what = "applied as" if applied.new else "unchanged, still"
        click.echo(f"roster: {what} version {applied.version} (sha256 {applied.hash[:16]}…)")


@roster.command("show")
@now_option
@json_option
@click.pass_context
def roster_show(ctx: click.Context, now: str | None, as_json: bool) -> None:
    """Show each role and who holds it at --now (vacancies included).

    \b
    Example:
      accord roster show --now 2026-11-26T09:00:00Z
    """
    when = parse_now(now)
    applied = ledger(ctx, read_only=True).roster()
    roles = []
    if applied is not None:
        for name, role in sorted(applied.roster.roles.items()):
            roles.append({"role": name, "title": role.title,
                          "holder": applied.roster.holder(name, when),
                          "held_by": [h.model_dump(mode="json", by_alias=True) for h in role.held_by]})
    if as_json:
        echo_json({"version": applied.version if applied else None, "roles": roles})
        return
    if applied is None:
        click.echo("no roster applied: every role is vacant (run `accord roster apply FILE`)")
        return
    for r in roles:
        echo_line(f"{r['role']:<28} {r['holder'] or 'VACANT'}")
