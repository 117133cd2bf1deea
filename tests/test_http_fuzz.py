"""schemathesis against /openapi.json of a real `accord serve`: every operation, all its phases,
with valid tokens — no 5xx, and every answer matches its documented status, type and schema.

ACCORD_FUZZ_EXAMPLES sets the examples per operation (`make test` runs a few dozen; `make fuzz`
runs 1,000 and more).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import Served, seed

EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "30"))
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance,negative_data_rejection,ignored_auth")
ST = str(Path(sys.executable).with_name("st"))

pytestmark = pytest.mark.slow


def _run(server: Served, token: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`st run` in the server's log folder (schemathesis keeps a cache where it runs)."""
    return subprocess.run(
        [ST, "run", f"{server.base}/openapi.json", "--header", f"Authorization: Bearer {token}",
         "--max-examples", str(EXAMPLES), "--checks", CHECKS, "--seed", "20261202", "--workers", "1",
         "--generation-database", "none", "--no-color", "--phases", "examples,coverage,fuzzing,stateful",
         "--request-timeout", "30", "--suppress-health-check", "all", *options],
        capture_output=True, text=True, timeout=3600, check=False, cwd=server.log.parent)


def test_schemathesis_finds_no_server_error_and_no_answer_off_its_schema(db_url: str, tmp_path: Path) -> None:
    tokens = seed(db_url, ["R-1", "R-2"])
    with Served(db_url, tmp_path / "serve.log") as server:
        runs = [_run(server, tokens["admin"]),
                _run(server, tokens["system"], "--include-path", "/v1/events"),
                _run(server, tokens["reviewer"], "--include-path-regex", "^/v1/cases/")]
        server.stop()
    for run in runs:
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert '"status":500' not in (tmp_path / "serve.log").read_text()
