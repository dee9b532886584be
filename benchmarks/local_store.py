"""Benchmark the local store: cold start to ready, warm restart to ready, API latency under load.

    .venv/bin/python benchmarks/local_store.py [--data synthetic] [--clients 20] [--seconds 30]

Runs `allstore local up` as `make run` does (a fresh state directory for the cold start, the same
one again for the warm restart), waits for its "AllStore is ready at" line, then drives
`/Prod/recommendations/{user}` and `/Prod/search` with one client and then with concurrent clients
(closed loop: each sends its next request when the last is answered) and prints the figures as JSON.
Issue 8's targets: cold < 90 s, warm < 10 s, p50 < 30 ms with no errors.

Each load also reports the CPU time the store's processes spent per request, by role (the runner
with moto and the gateway, the functions' workers, the search server, the Personalize service) and
for this load generator: with C cores, no closed loop can beat C / (CPU per request) requests per
second, so these figures show where a latency under load comes from. The store's processes also
spend CPU with no request at all (stream pollers, the supervisor): `idle_cpu_ms_per_second` is
measured before the loads, so a per-request figure can be read net of it (at R requests/s a role
charges idle/R ms of background to each request).

`--item-cache-seconds S` sets ITEM_CACHE_SECONDS on the functions measured (through the local
Lambda API, as `aws lambda update-function-configuration` would) before the loads: 0 measures the
handlers without their item cache. `--routes` picks the routes (default both); a few seconds of
load before each measurement (`--warmup-seconds`) let the workers a configuration change replaces
finish their cold starts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

from allstore.local.aws import free_port
from allstore.local.store_environment import local_store_environment

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

ALLSTORE = Path(sys.executable).with_name("allstore")
READY_PREFIX = "AllStore is ready at "


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


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it (the store's workers and servers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "lambda_worker" in command:
        return "function_workers"
    if "service_process search" in command:
        return "search_server"
    if "service_process personalize" in command:
        return "personalize_service"
    return "runner"


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _cpu_by_process(root: int) -> dict[int, tuple[str, float]]:
    return {pid: (_role(pid), _cpu_seconds(pid)) for pid in _descendants(root)}


ROUTE_FUNCTIONS = {"recommendations": "LAMBDA_GETRECS_ARN", "search": "LAMBDA_RERANK_ARN"}


def set_item_cache_seconds(state_dir: Path, routes: list[str], seconds: float) -> None:
    """ITEM_CACHE_SECONDS on the routes' functions, through the store's own Lambda API."""
    import boto3

    environment = local_store_environment(state_dir)
    client = boto3.client(
        "lambda",
        endpoint_url=environment["AWS_ENDPOINT_URL_LAMBDA"],
        region_name=environment["AWS_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    for route in routes:
        name = environment[ROUTE_FUNCTIONS[route]]
        variables = client.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        variables["ITEM_CACHE_SECONDS"] = f"{seconds:g}"
        client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})


def idle_cpu(store_pid: int, seconds: float) -> dict[str, float]:
    """CPU ms per second each role spends with no request in flight."""
    before = _cpu_by_process(store_pid)
    time.sleep(seconds)
    spent: dict[str, float] = {}
    for pid, (role, total) in _cpu_by_process(store_pid).items():
        spent[role] = spent.get(role, 0.0) + total - before.get(pid, (role, 0.0))[1]
    return {role: round(1000 * value / seconds, 2) for role, value in sorted(spent.items())}


def load(
    url: str, paths: list[str], clients: int, seconds: float, store_pid: int
) -> dict[str, float | int | dict[str, float]]:
    """`clients` threads request random `paths` for `seconds`; latency percentiles in ms, CPU per request."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    before = _cpu_by_process(store_pid)
    own_before = time.process_time()
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
    cpu_ms: dict[str, float] = {}
    for pid, (role, spent) in _cpu_by_process(store_pid).items():
        cpu_ms[role] = cpu_ms.get(role, 0.0) + (spent - before.get(pid, (role, 0.0))[1])
    cpu_ms["load_generator"] = time.process_time() - own_before
    per_request = {role: round(1000 * spent / len(values), 2) for role, spent in sorted(cpu_ms.items())}
    per_request["total"] = round(sum(per_request.values()), 2)
    return {
        "requests": len(values),
        "errors": errors,
        "requests_per_second": round(len(values) / seconds, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "cpu_ms_per_request": per_request,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--routes", default=",".join(ROUTE_FUNCTIONS), help="comma-separated")
    parser.add_argument("--item-cache-seconds", type=float, default=None)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--warmup-seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    routes_wanted = arguments.routes.split(",")
    unknown = set(routes_wanted) - set(ROUTE_FUNCTIONS)
    if unknown:
        parser.error(f"unknown routes {sorted(unknown)}: choose from {', '.join(ROUTE_FUNCTIONS)}")
    results: dict[str, object] = {
        "data": arguments.data,
        "clients": arguments.clients,
        "seconds": arguments.seconds,
        "item_cache_seconds": arguments.item_cache_seconds,
        "load_average_at_start": os.getloadavg(),
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
            if arguments.item_cache_seconds is not None:
                set_item_cache_seconds(state_dir, routes_wanted, arguments.item_cache_seconds)
            time.sleep(5)  # let the workers the store pre-starts finish their cold starts
            results["idle_cpu_ms_per_second"] = idle_cpu(process.pid, arguments.idle_seconds)
            routes = {
                "recommendations": [f"Prod/recommendations/{user}" for user in users],
                "search": [f"Prod/search?q={word}" for word in words],
            }
            for name in routes_wanted:
                paths = routes[name]
                load(url, paths, arguments.clients, arguments.warmup_seconds, process.pid)
                results[name] = {
                    "one_client": load(url, paths, 1, min(10.0, arguments.seconds), process.pid),
                    f"{arguments.clients}_clients": load(
                        url, paths, arguments.clients, arguments.seconds, process.pid
                    ),
                }
            results["cores"] = os.cpu_count()
            results["load_average_at_end"] = os.getloadavg()
        finally:
            stop_store(process)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
