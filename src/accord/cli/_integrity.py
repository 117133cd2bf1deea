"""Integrity: export, verify, checkpoint and proof."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from accord._progress import STEP, Progress
from accord.cli import cli
from accord.cli._common import (
    echo_json,
    exit_if_tampered,
    json_option,
    ledger,
    progress,
)
from accord.errors import UsageError
from accord.review.describe import counted
from accord.store.stored import StoredEvent


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
        elif report.first_bad is not None:
            click.echo(f"TAMPERED: first bad seq {report.first_bad}: {report.problem}")
        else:
            click.echo(f"TAMPERED: {report.problem}" if report.subtree is not None
                       else f"CHECKPOINT FAILED: {report.problem}")
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
