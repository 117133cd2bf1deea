"""The README's tour as a new user follows it: keys are written outside the repository, a key
written inside one is warned about, and the repository ignores key files."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.helpers import run_cli as run

ROOT = Path(__file__).resolve().parent.parent
Capsys = pytest.CaptureFixture[str]


def test_the_tour_keeps_its_private_key_outside_the_repository() -> None:
    tour = (ROOT / "README.md").read_text()
    keys = re.findall(r"accord keygen --out (\S+)", tour)
    assert keys and all(key.startswith("~/") for key in keys), keys
    assert "never belongs in a repository" in tour and "docs/integrity.md" in tour


def test_the_repository_ignores_key_files() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "*.key" in ignored and "keys/" in ignored


def test_keygen_creates_a_private_folder_for_its_key(tmp_path: Path, capsys: Capsys) -> None:
    key = tmp_path / "config" / "accord" / "tour.key"
    code, out, err = run(capsys, "keygen", "--out", str(key))
    assert code == 0 and out.startswith("accord+"), err
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and (key.parent / "tour.key.pub").exists()
    assert "warning" not in err


def test_keygen_warns_about_a_key_inside_a_git_work_tree(tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    key = tmp_path / "repo" / "accord.key"
    code, _, err = run(capsys, "keygen", "--out", str(key))
    assert code == 0 and key.exists()
    assert f"warning: {key} lies in the git repository {tmp_path / 'repo'}" in err
    assert "out of repositories" in err
