"""Lighthouse scores of the web store's home, search, category and product pages (issue 22).

Runs Google's Lighthouse (npm `lighthouse`, pinned below, fetched by npx on first use) with its
default mobile emulation against Debian's Chromium and a running store, and prints each page's
performance, accessibility, best-practices and SEO scores. Scores depend on the machine's load:
Lighthouse throttles the CPU 4x on top of whatever else runs, so measure on an idle machine.

    make run &   # or any running store
    .venv/bin/python benchmarks/lighthouse.py [--url http://127.0.0.1:3000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

LIGHTHOUSE = "lighthouse@12.8.2"  # the newest that runs on Node 20 (13.x needs 22.19)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


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


def score(url: str, chromium: str, output: Path) -> dict[str, float]:
    """Lighthouse's category scores (0..1) for one URL."""
    npx = shutil.which("npx")
    if npx is None:
        raise SystemExit("npx (Node.js) is needed to run Lighthouse")
    command = [npx, "--yes", LIGHTHOUSE, url, f"--chrome-path={chromium}", "--quiet", "--output=json"]
    command += [f"--output-path={output}", f"--only-categories={','.join(CATEGORIES)}"]
    command += ["--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    subprocess.run(command, check=True, timeout=300, stdout=subprocess.DEVNULL)
    report = json.loads(output.read_text(encoding="utf-8"))
    return {name: report["categories"][name]["score"] for name in CATEGORIES}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the running store's root")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    base = arguments.url.rstrip("/")
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, path in pages(base).items():
            results[name] = {"path": path, **score(base + path, chromium, Path(folder) / f"{name}.json")}
    if arguments.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'page':<10} " + " ".join(f"{name:>15}" for name in CATEGORIES))
    for name, result in results.items():
        print(f"{name:<10} " + " ".join(f"{result[category]:>15.2f}" for category in CATEGORIES))


if __name__ == "__main__":
    main()
