"""The help a new user reads: commands grouped by the loop, whole one-line summaries, an example
for every command, `--db URL`, and pointers to the docs."""

from __future__ import annotations

import click
import pytest

from accord.cli import SECTIONS, cli, summary
from accord.cli._docs import _walk
from tests.helpers import run_cli as run

Capsys = pytest.CaptureFixture[str]
COMMANDS = [(" ".join(path[1:]), command) for path, command in _walk(cli, ["accord"]) if len(path) > 1]
GROUPS = ["", *(name for name, command in COMMANDS if isinstance(command, click.Group))]


@pytest.fixture(autouse=True)
def terminal_80(monkeypatch: pytest.MonkeyPatch) -> None:
    """Help laid out for an 80-column terminal."""
    monkeypatch.setenv("COLUMNS", "80")


def section_lines(text: str) -> dict[str, list[str]]:
    """Each `Title:` section of a help text and its lines, up to the blank line that ends it."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = found.setdefault(line[:-1], [])
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
    return found


def sections(text: str) -> dict[str, list[str]]:
    """Each section of a help text and the names listed in it."""
    return {title: [line.split()[0] for line in lines if not line.startswith("   ")]
            for title, lines in section_lines(text).items()}


def test_the_commands_are_grouped_by_the_loop(capsys: Capsys) -> None:
    code, out, _ = run(capsys, "--help")
    listed = sections(out)
    assert code == 0
    assert [title for title in listed if title not in ("Options", "Usage")] == \
        ["Set up", "Record", "Review", "Integrity", "Serve", "Try it"]
    assert listed["Set up"] == ["init", "lint", "schema", "contract", "roster", "db"]
    assert listed["Record"] == ["record", "case"]
    assert listed["Review"] == ["queue", "tick", "findings", "incident", "learning", "drill"]
    assert listed["Integrity"] == ["keygen", "checkpoint", "proof", "verify", "export"]
    assert listed["Serve"] == ["serve", "token"]
    assert listed["Try it"] == ["demo"]


def test_every_command_has_a_place_in_the_loop() -> None:
    placed = [name for _, names in SECTIONS for name in names]
    assert sorted(placed) == sorted(cli.commands), "a new command needs a section in accord --help"


@pytest.mark.parametrize("group", GROUPS)
def test_summaries_are_whole_and_fit_one_line(capsys: Capsys, group: str) -> None:
    """No summary is cut with '...', and none wraps onto a second line at 80 columns."""
    code, out, _ = run(capsys, *group.split(), "--help")
    listed = {title: lines for title, lines in section_lines(out).items() if title != "Options"}
    command: click.Command = cli
    for name in group.split():
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert code == 0 and isinstance(command, click.Group)
    lines = [line for lines in listed.values() for line in lines]
    assert not [line for line in lines if line.startswith("   ")], f"a summary wraps in `accord {group} -h`"
    assert sorted(line.split()[0] for line in lines) == sorted(command.commands)
    for line in lines:
        name, shown = line.split(None, 1)
        assert "..." not in shown and shown == summary(command.commands[name])


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_shows_an_example(name: str, command: click.Command) -> None:
    assert "Example" in (command.help or ""), f"`accord {name} --help` needs an Example block"


def test_the_database_option_reads_db_url(capsys: Capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--db URL" in out and "--db TEXT" not in out


def test_help_points_to_the_docs_not_the_specification(capsys: Capsys) -> None:
    texts = [run(capsys, *name.split(), "--help")[1] for name, _ in COMMANDS]
    root = run(capsys, "--help")[1]
    assert "docs/events.md" in root and "docs/cli.md" in root
    assert "docs/events.md" in run(capsys, "record", "--help")[1]
    assert not [text for text in [root, *texts] if "SPEC" in text or "§" in text]
