"""`accord keygen`: create the Ed25519 key pair that signs checkpoints."""

from __future__ import annotations

from pathlib import Path

import click

from accord.cli import cli
from accord.cli._common import echo_json, json_option
from accord.integrity.checkpoint import load_verifier, write_keypair


@cli.command()
@click.option("--out", "out_file", required=True, metavar="KEY", type=click.Path(dir_okay=False),
              help="Write the private key to KEY (mode 0600) and the public key to KEY.pub.")
@click.option("--name", default="accord", show_default=True,
              help="Key name shown in every signature line; say which ledger or signer it is.")
@json_option
def keygen(out_file: str, name: str, as_json: bool) -> None:
    """Create an Ed25519 key pair for signing checkpoints.

    The private key goes to KEY, created with mode 0600 (a missing folder with
    0700); the public key goes to KEY.pub and is printed. Existing files are
    never overwritten. Keep KEY out of any repository and where the database's
    owner cannot read it (e.g. ~/.config/accord/ on the machine that signs
    checkpoints); give KEY.pub to whoever verifies. More: docs/integrity.md.

    \b
    Example:
      accord keygen --out ~/.config/accord/refunds.key --name refunds-ledger
      accord checkpoint --key ~/.config/accord/refunds.key --out cp-2026-11-26.txt
      accord verify --checkpoint cp-2026-11-26.txt --pub ~/.config/accord/refunds.key.pub
    """
    private_path, public_path = write_keypair(out_file, name)
    if (repository := _repository_of(private_path)) is not None:
        click.echo(f"accord: warning: {private_path} lies in the git repository {repository}: keep "
                   "private keys out of repositories (e.g. in ~/.config/accord/; docs/integrity.md)",
                   err=True)
    verifier = load_verifier(public_path)
    if as_json:
        echo_json({"private_key": str(private_path), "public_key": str(public_path), "name": verifier.name,
                   "key_id": verifier.key_id.hex(), "verifier_key": verifier.text()})
        return
    click.echo(f"private key written to {private_path} (mode 0600): keep it secret", err=True)
    click.echo(f"public key written to {public_path}:", err=True)
    click.echo(verifier.text())


def _repository_of(path: Path) -> Path | None:
    """The git work tree ``path`` lies in (a folder holding ``.git``), or None."""
    for folder in path.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None
