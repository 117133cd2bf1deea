"""Render the CLI reference (docs/cli.md) from the commands themselves.

    python -m accord.cli._docs > docs/cli.md

tests/test_docs.py fails when docs/cli.md differs from what this prints, so the
reference cannot drift from the code.
"""

from __future__ import annotations

import click

from accord.cli import SECTIONS, cli

HEADER = """# accord command reference

Generated from the commands' own help by `python -m accord.cli._docs > docs/cli.md`;
a test fails when this file and the code disagree.

Global option: `--db URL` (or `ACCORD_DB`), default `sqlite:///accord.db`.
Exit status: 0 success, 1 a check that failed, 2 bad input or usage.
"""


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    """``command`` and everything under it: the top level in the order `accord --help` lists it
    (the loop), each group's subcommands by name."""
    found = [(path, command)]
    if isinstance(command, click.Group):
        loop = [name for _, names in SECTIONS for name in names] if len(path) == 1 else []
        for name in sorted(command.commands, key=lambda n: (loop.index(n) if n in loop else len(loop), n)):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render() -> str:
    """The whole reference as Markdown."""
    parts = [HEADER]
    contexts = {"accord": click.Context(cli, info_name="accord", terminal_width=100,
                                        **cli.context_settings)}
    root = contexts["accord"]
    parts.append(f"\n## `accord`\n\n```text\n{cli.get_help(root)}\n```\n")
    for path, command in _walk(cli, ["accord"]):
        if len(path) == 1:
            continue
        # Built under its parents' contexts, as a real run is, so settings such as
        # `-h` inherit the same way whatever ran first in this process.
        parent = contexts[" ".join(path[:-1])]
        ctx = click.Context(command, info_name=path[-1], parent=parent)
        contexts[" ".join(path)] = ctx
        parts.append(f"\n## `{' '.join(path)}`\n\n```text\n{command.get_help(ctx)}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
