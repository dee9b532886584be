"""The environment a notebook kernel needs to use the local store: exactly what `allstore local env`
prints (endpoints, region, dummy credentials and the notebook instance's variables)."""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from pathlib import Path

import typer


def parse_exports(text: str) -> dict[str, str]:
    """`export NAME=value` lines (shell-quoted) → {NAME: value}."""
    variables = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            variables[name] = value
    return variables


def local_store_environment(state_dir: Path) -> dict[str, str]:
    """The running local store's variables; raises typer.Exit (after saying why) if none is running."""
    # Imported here: `allstore local` registers the notebook command, which uses this module.
    from allstore.local.cli import env as print_env_exports

    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            print_env_exports(state_dir=state_dir)
    except typer.Exit:
        sys.stdout.write(output.getvalue())  # why: e.g. no store is running there
        raise
    return parse_exports(output.getvalue())
