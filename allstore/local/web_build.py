"""Build the web UI for the local store when its build is missing or older than its sources.

`make run` should show the current UI without a separate step, but Node.js is optional: without
npm the store still runs (API, search, recommendations) and the root page says how to get the UI.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from rich.console import Console

WEBUI_DIR = Path(__file__).resolve().parents[2] / "webui"
SOURCE_NAMES = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts")


def _newest_source(webui: Path) -> float:
    newest = 0.0
    for name in SOURCE_NAMES:
        path = webui / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(item.stat().st_mtime for item in files if item.is_file())])
    return newest


def is_stale(webui: Path = WEBUI_DIR) -> bool:
    index = webui / "dist" / "index.html"
    return not index.is_file() or index.stat().st_mtime < _newest_source(webui)


def ensure_web_build(console: Console, webui: Path = WEBUI_DIR) -> Path:
    """Build `webui/dist` with npm when it is missing or stale and npm is available; returns dist."""
    dist = webui / "dist"
    if not (webui / "package.json").is_file() or not is_stale(webui):
        return dist
    npm = shutil.which("npm")
    if npm is None:
        if not (dist / "index.html").is_file():
            console.print("[yellow]npm not found: the web UI is not built (the API still runs).[/yellow]")
        return dist
    steps = [] if (webui / "node_modules").is_dir() else [[npm, "ci", "--no-audit", "--no-fund"]]
    steps.append([npm, "run", "build"])
    with console.status("Building the web UI (npm)…"):
        for command in steps:
            result = subprocess.run(command, cwd=webui, capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode != 0:
                console.print(
                    f"[yellow]`{' '.join(command[1:])}` failed; serving the previous web UI build.[/yellow]"
                )
                console.print(result.stdout[-2000:] + result.stderr[-2000:], markup=False, highlight=False)
                break
    return dist
