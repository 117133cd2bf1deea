"""Contracts and rosters from untrusted pull requests: alias bombs, self-containing aliases, deep
nesting and impossible dates are one located `invalid-file` line and exit 2, in milliseconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from accord.contract.loading import parse
from accord.errors import InvalidFile
from tests.helpers import run_cli


def _bomb(levels: int) -> str:
    lines = ["accord: 1", "kind: contract", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias-bomb": (_bomb(7), "expands to more than 50,000 values"),
    "alias-in-itself": ("accord: 1\nkind: contract\nx: &x [*x]\n", "alias that contains itself"),
    "deep-list": ("accord: 1\nkind: contract\nx: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested far deeper"),
    "deep-map": ("accord: 1\nkind: contract\n" + "".join(" " * i + "k:\n" for i in range(5000)),
                 "nested far deeper"),
    "month-13": ("accord: 1\nkind: roster\nroles:\n  a:\n    held_by:\n      - person: x@example.com\n"
                 "        from: 2026-13-19\n", "'2026-13-19' is not a real date"),
    "february-30": ("accord: 1\nkind: contract\nworkflow: a\ntitle: 2026-02-30\n", "not a real date"),
    "hour-25": ("accord: 1\nkind: contract\nworkflow: a\ntitle: 2026-02-03T25:00:00Z\n", "not a real date"),
    "undefined-alias": ("accord: 1\nkind: contract\nx: *nowhere\n", "undefined alias"),
    "nul-byte": ("accord: 1\nkind: contract\x00\n", "unacceptable character #x0000"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_one_located_invalid_file_problem(name: str) -> None:
    text, message = HOSTILE[name]
    started = time.perf_counter()
    with pytest.raises(InvalidFile) as refused:
        parse(text, f"{name}.yaml")
    assert time.perf_counter() - started < 5, "refused without expanding the document"
    assert len(refused.value.problems) == 1
    problem = refused.value.problems[0]
    assert problem.rule == "invalid-file" and message in problem.message
    assert problem.line >= 1 and problem.column >= 1


@pytest.mark.parametrize("command", [["lint"], ["contract", "apply"]])
def test_the_cli_refuses_an_alias_bomb_with_exit_2_and_no_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb(8))
    code, out, err = run_cli(capsys, "--db", f"sqlite:///{tmp_path}/l.db", *command, str(bomb))
    assert code == 2 and "Traceback" not in out + err
    assert f"{bomb}:" in out + err and "invalid-file" in out + err
