"""Lighthouse scores of the web store's home, search, category and product pages (issue 22).

Runs Google's Lighthouse (npm `lighthouse`, pinned below, fetched by npx on first use) with its
default mobile emulation against Debian's Chromium and a running store, `--runs` times per page,
and prints each page's median performance, accessibility, best-practices and SEO scores with the
metrics behind performance. Lighthouse simulates a slow phone (4x CPU slowdown, a slow 4G network)
from what it observes, so whatever else the machine runs slows the page too: every run records
the 1-minute load average when it started and the CPU seconds (user + system) Lighthouse and its
Chromium used, and the medians are what to compare.

    make run &   # or any running store
    .venv/bin/python benchmarks/lighthouse.py [--url http://127.0.0.1:3000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

LIGHTHOUSE = "lighthouse@12.8.2"  # the newest that runs on Node 20 (13.x needs 22.19)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# The metrics the performance score is made of (Lighthouse 12's weights: TBT 30%, LCP 25%,
# CLS 25%, FCP 10%, Speed Index 10%), in milliseconds except CLS.
METRICS = {
    "fcp_ms": "first-contentful-paint",
    "lcp_ms": "largest-contentful-paint",
    "tbt_ms": "total-blocking-time",
    "cls": "cumulative-layout-shift",
    "si_ms": "speed-index",
}


def _api(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}/Prod/{path}", timeout=30) as response:  # noqa: S310 - a local store
        return json.load(response)


def pages(base: str) -> dict[str, str]:
    """The four kinds of page, with a real product, category and search word from the store's API."""
    [product] = _api(base, "items?limit=1")["results"]
    category = product.get("category") or product.get("genre") or ""
    word = next((w for w in product["title"].split() if len(w) >= 4), product["title"].split()[0])
    return {
        "home": "/",
        "search": f"/search?q={urllib.parse.quote(word)}",
        "category": f"/category/{urllib.parse.quote(category)}",
        "product": f"/product/{urllib.parse.quote(product['asin'])}",
    }


def audit(url: str, chromium: str, output: Path) -> dict[str, float]:
    """One Lighthouse run: the category scores (0..1), the performance metrics, the load before it
    and the CPU seconds (user + system) of Lighthouse and Chromium."""
    npx = shutil.which("npx")
    if npx is None:
        raise SystemExit("npx (Node.js) is needed to run Lighthouse")
    command = [npx, "--yes", LIGHTHOUSE, url, f"--chrome-path={chromium}", "--quiet", "--output=json"]
    command += [f"--output-path={output}", f"--only-categories={','.join(CATEGORIES)}"]
    command += ["--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    load = os.getloadavg()[0]
    before = os.times()
    subprocess.run(command, check=True, timeout=300, stdout=subprocess.DEVNULL)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    report = json.loads(output.read_text(encoding="utf-8"))
    run = {"load": round(load, 2), "cpu_s": round(cpu, 2)}
    run |= {name: report["categories"][name]["score"] for name in CATEGORIES}
    run |= {key: round(report["audits"][name]["numericValue"], 3) for key, name in METRICS.items()}
    return run


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each score's and metric's median over the runs, with the range of performance and of load."""
    keys = (*CATEGORIES, *METRICS, "cpu_s")
    median = {key: statistics.median(run[key] for run in runs) for key in keys}
    performance = [run["performance"] for run in runs]
    loads = [run["load"] for run in runs]
    return median | {
        "performance_min": min(performance),
        "performance_max": max(performance),
        "load_min": min(loads),
        "load_max": max(loads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the running store's root")
    parser.add_argument(
        "--runs", type=int, default=3, help="Lighthouse runs per page (the median is reported)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    base = arguments.url.rstrip("/")
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    paths = pages(base)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
    with tempfile.TemporaryDirectory() as folder:
        for index in range(arguments.runs):  # pages interleaved, so a burst of load spreads over all
            for name, path in paths.items():
                runs[name].append(audit(base + path, chromium, Path(folder) / f"{name}-{index}.json"))
    results = {name: {"path": paths[name], **summary(runs[name]), "runs": runs[name]} for name in paths}
    if arguments.json:
        print(json.dumps({"cpus": os.cpu_count(), "pages": results}, indent=2))
        return
    print(f"median of {arguments.runs} run(s) per page, {os.cpu_count()} CPUs")
    header = f"{'page':<9}{'perf':>6}{'(range)':>12}{'a11y':>6}{'b-p':>6}{'seo':>6}"
    print(header + f"{'FCP ms':>8}{'LCP ms':>8}{'TBT ms':>8}{'CLS':>7}{'CPU s':>7}{'load':>12}")
    for name, result in results.items():
        spread = f"{result['performance_min']:.2f}-{result['performance_max']:.2f}"
        loads = f"{result['load_min']:.1f}-{result['load_max']:.1f}"
        print(
            f"{name:<9}{result['performance']:>6.2f}{spread:>12}{result['accessibility']:>6.2f}"
            f"{result['best-practices']:>6.2f}{result['seo']:>6.2f}{result['fcp_ms']:>8.0f}"
            f"{result['lcp_ms']:>8.0f}{result['tbt_ms']:>8.0f}{result['cls']:>7.3f}{result['cpu_s']:>7.1f}"
            f"{loads:>12}"
        )


if __name__ == "__main__":
    main()
