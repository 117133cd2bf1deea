"""`accord lint`, `accord init` and `accord schema`: contracts as code."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import jinja2

from accord._time import format_time
from accord.cli import cli
from accord.cli._common import echo_json, now_option, parse_now
from accord.contract import lint as linting
from accord.contract._sarif import sarif_log
from accord.contract.model import json_schema
from accord.errors import UsageError

INIT_FILES = {"refund-replies.yaml": "refund-replies.yaml.j2", "roster.yaml": "roster.yaml.j2",
              "events.jsonl": "events.jsonl.j2"}


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--roster", "roster", metavar="FILE", default=None,
              help="Roster file: also check that every role exists (unknown-role) "
                   "and is held today (vacant-role).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]),
              default="text", show_default=True,
              help="text: `path:line:col: severity rule message`; json; sarif (SARIF 2.1.0).")
@now_option
def lint(paths: tuple[str, ...], roster: str | None, output_format: str, now: str | None) -> None:
    """Check contract and roster files against the lint rules.

    PATH is a file or a folder (searched for *.yaml and *.yml, dot-folders
    skipped; only files with `kind: contract` or `kind: roster` are read). All
    contracts found are linted as one set. A roster found in a folder is
    checked but not used for role checks: pass it with --roster.

    Exit status: 0 no errors (warnings allowed), 1 error findings, 2 a file
    that cannot be read or parsed (rule invalid-file). The rules are in
    docs/contracts.md.

    \b
    Examples:
      accord lint contracts/ --roster roster.yaml
      accord lint contracts/ --format sarif > accord.sarif
    """
    today = parse_now(now).date()
    result = linting.lint_paths(list(paths), roster, today)
    if output_format == "json":
        echo_json(result.as_json())
    elif output_format == "sarif":
        echo_json(sarif_log(result, linting.rules(), Path.cwd()))
    else:
        for finding in result.findings:
            click.echo(str(finding))
        click.echo(f"accord lint: {_count(result.files, 'file')}, {_count(result.errors, 'error')}, "
                   f"{_count(result.warnings, 'warning')}", err=True)
    if result.exit_code:
        # click's non-standalone main returns ctx.exit codes instead of raising them
        sys.exit(result.exit_code)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@cli.command(short_help="Write an example contract, roster and events to DIR.")
@click.argument("directory", default=".", metavar="[DIR]",
                type=click.Path(file_okay=False, path_type=Path))
@now_option
def init(directory: Path, now: str | None) -> None:
    """Write an example contract, roster and events to DIR (default: the current folder).

    DIR/refund-replies.yaml is a contract for AI-drafted refund replies,
    DIR/roster.yaml names who holds each of its roles from today, and
    DIR/events.jsonl is the evidence of two refund cases from the last few
    minutes, ready for `accord record`. The contract and roster are commented
    key by key and lint clean together; edit them to describe your workflow.
    Existing files are never overwritten.

    \b
    Example:
      accord init accountability/
      accord lint accountability/ --roster accountability/roster.yaml
    """
    targets = {directory / name: template for name, template in INIT_FILES.items()}
    existing = [str(path) for path in targets if path.exists()]
    if existing:
        verb = "exists" if len(existing) == 1 else "exist"
        raise UsageError(f"{' and '.join(existing)} already {verb}; accord init never overwrites "
                         "a file: move it away or name another DIR")
    env = jinja2.Environment(loader=jinja2.PackageLoader("accord", "_data"),
                             keep_trailing_newline=True, autoescape=False)
    moment = parse_now(now)
    # the sample case happened over the last ten minutes: after the roster's first day began,
    # before now (an event may not lie in the future)
    start = max(moment - dt.timedelta(minutes=10), moment.replace(hour=0, minute=0, second=0))
    times = {f"t{i}": format_time(start + (moment - start) * i / 8) for i in range(7)}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path, template in targets.items():
            path.write_text(env.get_template(template).render(today=moment.date().isoformat(),
                                                              directory=directory, **times),
                            encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write to {directory}: {err.strerror or err}") from None
    for path in targets:
        click.echo(f"wrote {path}")
    roster = directory / "roster.yaml"
    click.echo(f"next: edit them, then run `accord lint {directory} --roster {roster}`")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of contract and roster files.

    Point your editor's YAML support at it to get completion and checks while
    you write a contract; `accord lint` remains the judge.

    \b
    Example:
      accord schema > accord.schema.json
    """
    echo_json(json_schema())
