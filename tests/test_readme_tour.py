"""The README's two-minute tour runs as written, from an empty folder, as a new user would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A two-minute tour", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the README's tour has no ```sh block"
    lines = [line.strip() for line in block.group(1).splitlines()]
    # the virtual environment is already active here: the test runs inside it
    return [line for line in lines if line and not line.startswith(". ")]


def test_the_tour_has_the_commands_a_new_user_needs() -> None:
    commands = " ".join(tour_commands())
    for step in ["accord init", "accord lint", "accord record", "accord case show",
                 "accord incident open", "accord incident review", "accord verify"]:
        assert step in commands


def test_the_readme_tour_runs_from_an_empty_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env |= {"HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
    for command in tour_commands():
        done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, f"`{command}` failed:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
    review = subprocess.run(["accord", "incident", "review", "INC-1", "--format", "json"], cwd=work,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert review.returncode == 0, review.stderr
    answers = json.loads(review.stdout)["questions"]
    # the tour's data names the owner and shows what the reviewer did not attest
    assert answers["owner"]["person"] == "dana@example.com"
    assert answers["evidence"]["answered"] is False and "attesting correct" in answers["evidence"]["answer"]
    assert (home / ".config" / "accord" / "tour.key").exists()
    assert not (work / "tour.key").exists()
