"""Docs stay true: the CLI reference is generated, every command explains itself."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from accord.cli import cli
from accord.cli._docs import _walk, render
from accord.runtime.findings import DETECTORS

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_matches_the_commands() -> None:
    """docs/cli.md is exactly what `python -m accord.cli._docs` prints."""
    assert (ROOT / "docs" / "cli.md").read_text() == render(), (
        "docs/cli.md is stale: run `python -m accord.cli._docs > docs/cli.md`")


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _walk(cli, ["accord"])])
def test_every_command_has_help(path: str) -> None:
    command: click.Command = cli
    for name in path.split()[1:]:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 20, f"{path} needs a help text"


def test_every_spec_command_exists() -> None:
    names = {" ".join(p[1:]) for p, _ in _walk(cli, ["accord"])}
    for expected in ["init", "lint", "schema", "contract apply", "contract list", "contract show",
                     "roster apply", "roster show", "record", "case show", "queue reviews",
                     "queue exceptions", "tick", "findings", "incident open", "incident review",
                     "incident list", "learning list", "learning close", "drill", "keygen",
                     "checkpoint", "proof", "verify", "export", "demo"]:
        assert expected in names, f"`accord {expected}` is missing"


def test_every_finding_rule_is_documented() -> None:
    text = (ROOT / "docs" / "findings.md").read_text()
    for rule, (doc, _) in DETECTORS.items():
        assert f"`{rule}`" in text, f"docs/findings.md does not describe {rule}"
        assert doc, f"detector {rule} needs a one-line docstring"


def test_python_reference_matches_the_front_door() -> None:
    """docs/python.md is exactly what `python -m accord._api_docs` prints."""
    from accord._api_docs import render as render_api

    assert (ROOT / "docs" / "python.md").read_text() == render_api(), (
        "docs/python.md is stale: run `python -m accord._api_docs > docs/python.md`")


def test_docs_and_help_never_cite_the_specification() -> None:
    """Users have README and docs/, not the product specification: nothing points them at it."""
    texts = {path: path.read_text() for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]}
    texts[ROOT / "docs" / "cli.md"] = render()
    cited = [str(path.relative_to(ROOT)) for path, text in texts.items() if "SPEC" in text]
    assert cited == []
