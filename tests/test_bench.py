"""The benchmarks under bench/ run end to end at small sizes and print their figures.

The figures themselves are not judged here; these runs keep the scripts working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # each runs a benchmark script in a subprocess


def test_incident_benchmark_quick_run_prints_its_figures() -> None:
    """`python bench/incident.py --quick` runs and prints the review medians, ratio and drill rate."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "incident.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("review_incident median at 1,000 events:") for line in lines)
    assert any(line.startswith("review_incident median at 10,000 events:") for line in lines)
    assert any(line.startswith("review_incident ratio ") for line in lines)
    assert any(line.startswith("drill throughput: 500 cases") for line in lines)


@pytest.mark.parametrize(("script", "args", "starts"), [
    ("ingest.py", ["--events", "2000", "--single", "100"],
     ["(a) batches of 1,000: accord", "(b) one event per transaction: accord", "bytes stored per record:"]),
    ("verify.py", ["--events", "3000"], ["log:", "verify: accord"]),
    ("proof.py", ["--sizes", "300,3000", "--proofs", "20"], ["proof at 3,000 / at 300:", "merkle.root over"]),
    ("route.py", ["--decisions", "2000", "--events", "1000"], ["routing:", "ingest (batches of 1,000)"]),
    ("cel.py", ["--cases", "200", "--repeat", "1"], ["200 cases, best of 1", "accord / raw eval:"]),
    ("http.py", ["--rounds", "1", "--no-pg", "--no-reads", "--batches", "3", "--singles", "64"],
     ["(a) sqlite batch ingest", "(b) sqlite single-event ingest"]),
])
def test_ledger_benchmarks_small_runs_print_their_figures(script: str, args: list[str],
                                                          starts: list[str]) -> None:
    """The ingest, verify, route and rule benchmarks run end to end at small sizes (figures not judged)."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for start in starts:
        assert any(line.lstrip().startswith(start) for line in done.stdout.splitlines()), (
            start, done.stdout)
