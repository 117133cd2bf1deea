"""Ledger commands: contracts, rosters, recording, cases, export and integrity."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import yaml

from accord._progress import STEP, Progress
from accord._time import parse_time
from accord.cli import cli
from accord.cli._common import (
    echo_json,
    echo_line,
    exit_if_tampered,
    json_option,
    ledger,
    now_option,
    one_line,
    parse_now,
    progress,
    whole_seconds,
)
from accord.errors import EventProblem, UsageError
from accord.integrity.canonical import parse_json
from accord.review.describe import counted, describe, seqs
from accord.runtime.cases import ROUTES
from accord.runtime.findings import DETECTORS
from accord.store.stored import StoredEvent


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


BOM = b"\xef\xbb\xbf"
JSONL_HELP = "accord record reads one JSON object a line (docs/events.md)"


def _read_lines(files: tuple[str, ...], empty: list[str]) -> Iterator[tuple[Any, str]]:
    """Every line of ``files`` parsed, streamed: (entry, where it came from). Names of inputs
    with no line at all go to ``empty``.

    A line that is not JSON becomes an EventProblem in its place, so the ledger lists it in
    order with the other lines' problems. A leading UTF-8 byte order mark is dropped
    silently: editors on Windows write one, and it means nothing in JSON. Lines are read one
    at a time, so a file of millions of events never sits in memory whole.
    """
    for name in files:
        if name == "-":
            yield from _entries("<stdin>", getattr(sys.stdin, "buffer", None) or _text_stdin(), empty)
            continue
        try:
            opened = Path(name).open("rb")  # noqa: SIM115 - closed by the with below
        except OSError as err:
            raise UsageError(f"{name}: cannot read: {err.strerror}") from None
        with opened:
            yield from _entries(name, opened, empty)


def _entries(label: str, stream: Iterable[bytes], empty: list[str]) -> Iterator[tuple[Any, str]]:
    first = True
    for number, raw in enumerate(stream, 1):
        line = raw.rstrip(b"\r\n")
        if first and line.startswith(BOM):
            line = line[len(BOM):]
        if not line.strip():
            continue
        where = f"{label}:{number}"
        if first:
            first = False
            if (hint := _not_json_lines(label, number, line)) is not None:
                yield hint, where
                return
        try:
            yield parse_json(line, ledger_numbers=True), where
        except ValueError as err:
            yield EventProblem(where, "", f"not a JSON object: {err}"), where
    if first:
        empty.append(label)


def _text_stdin() -> Iterator[bytes]:
    for line in sys.stdin:
        yield line.encode("utf-8", "surrogateescape")


def _not_json_lines(label: str, number: int, first: bytes) -> EventProblem | None:
    """A problem for a whole input that is not JSON lines at all, judged by its first line:
    a JSON array, or CSV. None when it may well be JSON lines."""
    where = f"{label}:{number}"
    start = first.lstrip()
    if start.startswith(b"["):
        source = label if label != "<stdin>" else "FILE"
        return EventProblem(where, "", f"a JSON array, not JSON lines: {JSONL_HELP}; convert it "
                            f"with `jq -c '.[]' {source} > events.jsonl`")
    if not start.startswith(b"{") and any(sep in start for sep in (b",", b";", b"\t")):
        try:
            parse_json(first)
        except ValueError:
            return EventProblem(where, "", f"this looks like CSV, not JSON lines: {JSONL_HELP}, such as "
                                '{"case": "R-1", "type": "case.opened", "at": "2026-11-26T10:00:00Z", '
                                '"actor": "system:app", "data": {…}}')
    return None


@cli.command(short_help="Record JSON-lines events from files or stdin, all or nothing.")
@click.argument("files", nargs=-1, required=True)
@json_option
@click.pass_context
def record(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """Record events from JSON-lines FILES (or - for standard input) as one atomic batch.

    Each line is one JSON object, one event (docs/events.md). A batch with any
    problem is refused whole: every problem of every line is listed as
    `file:line: field: message` (lines that are not JSON among them; the first
    100, then a count), the command exits 2 and nothing is stored. A JSON array
    or a CSV file is named as such. A leading UTF-8 byte order mark is ignored;
    an empty file records nothing. An event whose `id` is already stored is
    skipped and counted, so a re-run adds nothing.

    \b
    Example:
      accord record events.jsonl
      producer | accord record -
    """
    for name in files:  # before the ledger is opened (or made): a typo creates nothing
        if name != "-" and not os.access(name, os.R_OK):
            reason = "no such file" if not os.path.exists(name) else "permission denied"
            raise UsageError(f"{name}: cannot read: {reason}")
    empty: list[str] = []
    led = ledger(ctx, create=True)
    label = "recording " + (Path(files[0]).name if len(files) == 1 and files[0] != "-" else "events")
    with progress(label, quiet=as_json) as bar:
        result = led.record_stream(_read_lines(files, empty), progress=bar)
    for label in empty:
        click.echo(f"accord: {label} is empty: nothing to record from it", err=True)
    if as_json:
        echo_json(result.as_json())
    elif result.recorded:
        repeats = f"; {counted(result.duplicates, 'repeat')} of stored events skipped" \
            if result.duplicates else ""
        click.echo(f"recorded {counted(result.recorded, 'event')} (seq {result.first_seq}.."
                   f"{result.last_seq}, with the records accord adds){repeats}")
    elif result.duplicates:
        click.echo(f"nothing new to record: {counted(result.duplicates, 'event')} with an id already "
                   "stored, skipped")
    else:
        click.echo("nothing to record")


@cli.group()
def case() -> None:
    """List cases, and look at one: its timeline and its evidence.

    \b
    Examples:
      accord case list --open
      accord case show R-1042
    """


def _time_option(value: str | None, flag: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as err:
        raise UsageError(f"{flag}: {err}") from None


@case.command("list")
@click.option("--workflow", default=None, metavar="W", help="Only cases of this workflow.")
@click.option("--route", type=click.Choice(ROUTES), default=None,
              help="Only cases whose latest route is this one.")
@click.option("--open", "state", flag_value="open", default=None,
              help="Only open cases (no action.taken yet).")
@click.option("--closed", "state", flag_value="closed", help="Only closed cases (an action.taken).")
@click.option("--since", default=None, metavar="TIME", help="Only cases opened at or after TIME (RFC 3339).")
@click.option("--until", default=None, metavar="TIME", help="Only cases opened before TIME (RFC 3339).")
@click.option("--finding", type=click.Choice(list(DETECTORS)), default=None, metavar="RULE",
              help="Only cases with a run-time finding of RULE at --now (docs/findings.md).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, metavar="N",
              help="List at most N cases.")
@now_option
@json_option
@click.pass_context
def case_list(ctx: click.Context, workflow: str | None, route: str | None, state: str | None,
              since: str | None, until: str | None, finding: str | None, limit: int, now: str | None,
              as_json: bool) -> None:
    """List cases, newest first by when they opened.

    Each line shows the case, its workflow, when it opened, its latest route,
    whether it is closed (an action.taken is recorded) and its latest record's
    time. With --json: {"cases": [{"case", "workflow", "contract_version",
    "opened_at", "route", "closed", "closed_at", "last_at", "records"}]}, where
    route is the `review` of the latest routing.decided (null before an
    output) and records counts the case's records.

    \b
    Examples:
      accord case list --workflow refund-replies --open
      accord case list --route skipped --since 2026-11-01T00:00:00Z --limit 20
      accord case list --finding evidence-gap --json
    """
    found = ledger(ctx).cases(workflow=workflow, route=route,
                              closed=None if state is None else state == "closed",
                              since=_time_option(since, "--since"), until=_time_option(until, "--until"),
                              finding=finding, limit=limit, now=parse_now(now))
    if as_json:
        echo_json({"cases": [c.as_json() for c in found]})
        return
    if not found:
        click.echo("no cases match" if any((workflow, route, state, since, until, finding))
                   else "no cases recorded yet: see `accord record --help`")
        return
    click.echo(f"{'case':<16} {'workflow':<22} {'opened':<20}  {'route':<12} {'state':<6}  last record")
    for c in found:
        click.echo(f"{one_line(c.case, 16):<16} {one_line(c.workflow, 22):<22} "
                   f"{whole_seconds(c.opened_at):<20}  {c.route or '-':<12} "
                   f"{'closed' if c.closed else 'open':<6}  {whole_seconds(c.last_at)}")
    if len(found) == limit:
        click.echo(f"the newest {counted(limit, 'case')} shown; --limit N shows more", err=True)


@case.command("show", short_help="Print CASE's timeline and its evidence present and missing.")
@click.argument("case_id", metavar="CASE")
@json_option
@click.pass_context
def case_show(ctx: click.Context, case_id: str, as_json: bool) -> None:
    """Print CASE's timeline and which evidence fields are present or missing.

    Every record shown is re-hashed and its link in the chain checked: one that
    does not hold is marked TAMPERED with its seq, and the command exits 1.

    \b
    Example:
      accord case show R-1042
      accord case show R-1042 --json
    """
    view = ledger(ctx, read_only=True).case_view(case_id)
    bad = {t.seq for t in view.tampered}
    if as_json:
        echo_json(view.as_json())
    else:
        echo_line(f"case {view.case}  workflow {view.workflow}  contract v{view.contract_version}")
        for e in view.events:
            mark = "TAMPERED " if e.seq in bad else ""
            click.echo(f"  {e.seq:>7}  {e.at}  {e.type:<20} {one_line(e.actor, 28):<28} "
                       f"{mark}{one_line(describe(e))}")
        present = ", ".join(f"{k} ({seqs(v)})" for k, v in view.evidence.present.items()) or "none"
        echo_line(f"evidence present: {present}")
        echo_line(f"evidence missing: {', '.join(view.evidence.missing) or 'none'}")
    exit_if_tampered(view.tampered)


@cli.command(short_help="Write the log or one case as JSON lines (or W3C PROV-JSON).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "prov-json"]), default="jsonl",
              show_default=True)
@click.option("--case", "case_id", default=None, help="Only this case's records.")
@click.pass_context
def export(ctx: click.Context, fmt: str, case_id: str | None) -> None:
    """Write the log (or one case) in seq order: one stored envelope a line.

    Each record is re-hashed and its chain link checked on the way: one that
    does not hold is named on standard error as TAMPERED, and the command
    exits 1. --format prov-json writes the records as one W3C PROV-JSON
    document instead.

    \b
    Examples:
      accord export --format jsonl > ledger.jsonl
      accord export --case R-1042 --format prov-json > R-1042.prov.json
    """
    records = ledger(ctx, read_only=True).export(case_id)
    total = records.expected()
    with progress("exporting", quiet=total is None) as bar:
        shown = _counted(records, bar, total or 0)
        if fmt == "jsonl":
            out = sys.stdout.buffer
            for e in shown:
                out.write(e.export_line() + b"\n")
        else:
            from accord.review._prov import prov_document

            echo_json(prov_document(shown))
    exit_if_tampered(records.tampered)


def _counted(events: Iterable[StoredEvent], bar: Progress | None, total: int) -> Iterator[StoredEvent]:
    """``events`` as they stream, telling ``bar`` how many went by."""
    done = 0
    for done, e in enumerate(events, 1):
        if bar is not None and done % STEP == 0:
            bar(done, max(total, done))
        yield e
    if bar is not None:
        bar(done, max(total, done))


@cli.command(short_help="Re-hash every record, check chain and tree; exit 1 if tampered.")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False), default=None,
              help="A checkpoint taken earlier: prove the log still extends it.")
@click.option("--pub", "pub_file", type=click.Path(dir_okay=False), default=None,
              help="Public key (KEY.pub) you trust, to check the checkpoint's signature.")
@json_option
@click.pass_context
def verify(ctx: click.Context, checkpoint_file: str | None, pub_file: str | None,
           as_json: bool) -> None:
    """Re-hash every record and check the chain and tree; exit 1 if tampered.

    With --checkpoint, also prove the log extends that checkpoint (the only
    defence against a rewrite that recomputes every hash, or a cut tail): keep
    checkpoints somewhere the database's owner cannot write.

    \b
    Example:
      accord verify --checkpoint cp-2026-11-26.txt --pub accord.key.pub
    """
    from accord.integrity.checkpoint import load_verifier

    if pub_file and not checkpoint_file:
        raise UsageError("--pub checks a checkpoint's signature: give --checkpoint FILE too")
    text = None
    if checkpoint_file:
        try:
            text = Path(checkpoint_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{checkpoint_file}: cannot read checkpoint: {err}") from None
    verifier = load_verifier(pub_file) if pub_file else None
    led = ledger(ctx, read_only=True)
    with progress("verifying", quiet=as_json) as bar:
        report = led.verify(text, verifier, source=checkpoint_file or "checkpoint", progress=bar)
    if as_json:
        echo_json(report.as_json())
    else:
        if report.ok:
            verb = "verifies" if report.size == 1 else "verify"
            click.echo(f"ok: {counted(report.size, 'record')} {verb}; root {report.as_json()['root']}")
        else:
            click.echo(f"TAMPERED: first bad seq {report.first_bad}: {report.problem}"
                       if report.first_bad is not None else f"CHECKPOINT FAILED: {report.problem}")
        if report.checkpoint is not None:
            cp = report.checkpoint
            sig = {"not_checked": "signature not checked (no --pub given)",
                   "valid": "signature valid", "invalid": "signature INVALID"}[cp["signature"]]
            click.echo(f"checkpoint of size {cp['size']}: "
                       f"{'consistent' if cp['consistent'] else 'NOT consistent'}; {sig}")
    if not report.ok:
        ctx.exit(1)


@cli.command(short_help="Verify the log, then sign a checkpoint of it (a signed note).")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False),
              help="Private key written by `accord keygen`.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Write the checkpoint here (default: standard output); an existing file needs --force.")
@click.option("--force", is_flag=True, help="Replace an existing --out file (atomically; a link is replaced, "
              "not followed).")
@click.option("--previous", "previous_file", type=click.Path(dir_okay=False), default=None,
              help="The last checkpoint you signed: prove the log extends it, verify the records since.")
@click.option("--pub", "pub_file", type=click.Path(dir_okay=False), default=None,
              help="Public key to check --previous's signature with.")
@click.pass_context
def checkpoint(ctx: click.Context, key_file: str, out_file: str | None, force: bool,
               previous_file: str | None, pub_file: str | None) -> None:
    """Verify the log, then sign a checkpoint of it (C2SP tlog-checkpoint signed note).

    Nothing is signed unless the log verifies: every record, or with --previous
    the log's consistency with your last checkpoint and every record since it
    (a rewrite that recomputed every hash cannot be blessed). Keep checkpoints
    away from the database (another host, a git repo, a ticket): `accord verify
    --checkpoint` later proves nothing before it was rewritten. Keys: docs/integrity.md.

    \b
    Examples:
      accord checkpoint --key ~/.config/accord/refunds.key --out cp-2026-11-26.txt
      accord checkpoint --key ~/.config/accord/refunds.key --previous cp-2026-11-26.txt \\
        --out cp-2026-11-27.txt
    """
    from accord.integrity.checkpoint import load_signer, load_verifier

    if pub_file and not previous_file:
        raise UsageError("--pub checks --previous's signature: give --previous FILE too")
    if out_file and not force and os.path.lexists(out_file):
        raise UsageError(f"--out {out_file}: exists; a checkpoint is never overwritten by accident "
                         "(add --force to replace it)")
    previous = _read_text(previous_file, "--previous") if previous_file else None
    signer = load_signer(key_file)
    text = ledger(ctx, read_only=True).checkpoint(
        signer, previous=previous, previous_source=previous_file or "previous",
        verifier=load_verifier(pub_file) if pub_file else None)
    if out_file:
        _replace_atomically(Path(out_file), text)
        click.echo(f"checkpoint written to {out_file}", err=True)
    else:
        click.echo(text, nl=False)


def _read_text(path: str, flag: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{flag} {path}: cannot read it: {getattr(err, 'strerror', None) or err}") from None


def _replace_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path`` and rename it over ``path``: readers see the old
    file or the new one, and a symlink at ``path`` is replaced, not followed."""
    import tempfile

    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as err:
        raise UsageError(f"--out {path}: cannot write: {err.strerror or err}") from None


@cli.command(short_help="Prove that record SEQ is in the log (an inclusion proof).")
@click.argument("seq", type=int)
@click.option("--size", type=int, default=None, help="Tree size (default: the whole log).")
@json_option
@click.pass_context
def proof(ctx: click.Context, seq: int, size: int | None, as_json: bool) -> None:
    """Print an inclusion proof that record SEQ is in the tree of --size records.

    The proof is RFC 6962's: the leaf hash, the audit path and the root it
    leads to (docs/integrity.md).

    \b
    Example:
      accord proof 1042 --size 5000 --json
    """
    result = ledger(ctx, read_only=True).proof(seq, size).as_json()
    if as_json:
        echo_json(result)
        return
    click.echo(f"seq {result['seq']} (leaf index {result['index']}) in tree size {result['size']}")
    click.echo(f"leaf hash {result['leaf_hash']}")
    click.echo(f"root      {result['root']}")
    for i, h in enumerate(result["proof"]):
        click.echo(f"proof[{i}] {h}")


