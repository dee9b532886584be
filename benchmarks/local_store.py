"""Benchmark the local store: cold start to ready, warm restart to ready, API latency under load.

    .venv/bin/python benchmarks/local_store.py [--data synthetic] [--clients 20] [--seconds 30]

Runs `allstore local up` as `make run` does (a fresh state directory for the cold start, the same
one again for the warm restart), waits for its "AllStore is ready at" line, then drives
`/Prod/recommendations/{user}` and `/Prod/search` with concurrent clients and prints the figures
as JSON. Issue 8's targets: cold < 90 s, warm < 10 s, p50 < 30 ms with no errors.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

ALLSTORE = Path(sys.executable).with_name("allstore")
READY_PREFIX = "AllStore is ready at "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_store(state_dir: Path, port: int, data: str) -> tuple[subprocess.Popen[str], str, float]:
    """Start `allstore local up`; returns the process, its URL and the seconds to ready."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ALLSTORE), "local", "up", "--state-dir", str(state_dir), "--port", str(port), "--data", data],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(READY_PREFIX):
            url = line[len(READY_PREFIX) :].strip()
            threading.Thread(
                target=lambda: [None for _ in process.stdout], daemon=True
            ).start()  # keep draining
            return process, url, time.monotonic() - started
    raise RuntimeError(f"the store exited ({process.wait()}) before it was ready")


def stop_store(process: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    return time.monotonic() - started


def load(url: str, paths: list[str], clients: int, seconds: float) -> dict[str, float | int]:
    """`clients` threads request random `paths` for `seconds`; latency percentiles in ms."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        session = requests.Session()
        while time.monotonic() < deadline:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                ok = session.get(url + path, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += not ok

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = np.array(latencies)
    return {
        "requests": len(values),
        "errors": errors,
        "requests_per_second": round(len(values) / seconds, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()
    results: dict[str, object] = {
        "data": arguments.data,
        "clients": arguments.clients,
        "seconds": arguments.seconds,
    }
    with tempfile.TemporaryDirectory(prefix="allstore-bench-") as folder:
        state_dir = Path(folder) / "state"
        port = free_port()
        process, url, results["cold_start_to_ready_s"] = start_store(state_dir, port, arguments.data)
        results["first_stop_s"] = stop_store(process)
        process, url, results["warm_restart_to_ready_s"] = start_store(state_dir, port, arguments.data)
        try:
            session = requests.get(url + "Prod/session", timeout=30).json()
            users = [user["Id"] for user in session["UserList"]]
            titles = [
                item["title"]
                for item in requests.get(url + "Prod/items", params={"limit": 100}, timeout=30).json()[
                    "results"
                ]
            ]
            words = sorted({word for title in titles for word in title.split() if len(word) > 3})
            time.sleep(5)  # let the workers the store pre-starts finish their cold starts
            results["recommendations"] = load(
                url, [f"Prod/recommendations/{user}" for user in users], arguments.clients, arguments.seconds
            )
            results["search"] = load(
                url, [f"Prod/search?q={word}" for word in words], arguments.clients, arguments.seconds
            )
        finally:
            stop_store(process)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
