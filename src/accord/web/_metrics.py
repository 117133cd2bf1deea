"""What `/metrics` reports, in the Prometheus text format (written by hand: a few counters).

Counters are this process's own: behind several workers, each worker reports its own
(labelled with its ``pid``), and Prometheus sums them.
"""

from __future__ import annotations

import os
import threading
from collections import Counter

COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


class Metrics:
    """This process's counters; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.denials: Counter[int] = Counter()
        self.events = 0
        self.commits = 0
        self.committed_requests = 0
        self.commit_seconds = 0.0
        self.commit_buckets = [0] * len(COMMIT_BUCKETS)

    def request(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1

    def denied(self, status: int) -> None:
        with self._lock:
            self.denials[status] += 1

    def recorded(self, events: int) -> None:
        with self._lock:
            self.events += events

    def commit(self, seconds: float, requests: int) -> None:
        with self._lock:
            self.commits += 1
            self.committed_requests += requests
            self.commit_seconds += seconds
            for i, bound in enumerate(COMMIT_BUCKETS):
                if seconds <= bound:
                    self.commit_buckets[i] += 1

    def render(self, gauges: dict[str, tuple[str, dict[str, float]]]) -> str:
        """The text exposition; ``gauges`` are name: (help, {labels text: value})."""
        pid = f'pid="{os.getpid()}"'
        out: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                out.append(f"{name}{{{labels}}} {value:g}" if labels else f"{name} {value:g}")

        with self._lock:
            metric("accord_events_recorded_total", "counter",
                   "Client events this process recorded over HTTP.", [(pid, self.events)])
            metric("accord_http_requests_total", "counter", "HTTP requests by route and status.",
                   [(f'{pid},method="{m}",route="{_label(r)}",status="{s}"', n)
                    for (m, r, s), n in sorted(self.requests.items())])
            metric("accord_http_denials_total", "counter",
                   "Requests refused for their token or its rights (401, 403, 404 of a hidden object).",
                   [(f'{pid},status="{s}"', n) for s, n in sorted(self.denials.items())])
            cumulative = [(f'{pid},le="{b}"', float(n)) for b, n in zip(COMMIT_BUCKETS, self.commit_buckets,
                                                                        strict=True)]
            metric("accord_commit_seconds", "histogram", "How long each group commit took.",
                   [])
            out.extend(f"accord_commit_seconds_bucket{{{labels}}} {value:g}" for labels, value in cumulative)
            out.append(f'accord_commit_seconds_bucket{{{pid},le="+Inf"}} {self.commits}')
            out.append(f"accord_commit_seconds_sum{{{pid}}} {self.commit_seconds:g}")
            out.append(f"accord_commit_seconds_count{{{pid}}} {self.commits}")
            metric("accord_commit_requests_total", "counter", "Requests committed in groups.",
                   [(pid, self.committed_requests)])
        for name, (help_text, samples) in gauges.items():
            metric(name, "gauge", help_text, [(f"{pid},{k}" if k else pid, v) for k, v in samples.items()])
        return "\n".join(out) + "\n"
