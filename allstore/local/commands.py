"""`allstore local up|env|notebook` (registered by allstore/cli.py): run the whole store on this
machine, point tools at it, and open the workshop notebooks against it."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from allstore.credentials import export_lines
from allstore.start_refusals import refused_in_one_line
from allstore.workshop.kernel import KERNEL_NAME, write_kernelspec

if TYPE_CHECKING:
    from allstore.local.store import LocalStore, Reporter

STATE_DIR = Path(".allstore")
DATA_HELP = (
    "synthetic (default), small, large, an item count, a folder of real data, or a fetched dataset name."
)

console = Console()
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "Personalize"


def _progress_reporter(progress: Progress, phases: list[tuple[str, float]] | None = None) -> Reporter:
    """Each phase becomes a bar; each step advances it and names what is being done. Phases are
    also listed in `phases` with their start times, for the summary line."""
    from allstore.local.store import Reporter

    current: dict[str, int] = {}

    def phase(name: str, total: int) -> None:
        if phases is not None:
            phases.append((name, time.monotonic()))
        if "task" in current:
            task = current["task"]
            progress.update(task, completed=progress.tasks[task].total)
        current["task"] = progress.add_task(name, total=max(total, 1))

    def step(description: str) -> None:
        if "task" in current:
            progress.update(current["task"], advance=1, description=description)

    def notice(message: str) -> None:  # e.g. a child process died and was restarted
        console.print(f"[yellow]{message}[/yellow]", highlight=False)

    return Reporter(phase=phase, step=step, notice=notice)


def start_summary(phases: list[tuple[str, float]], started: float, finished: float) -> str:
    """One line saying how long start-up took and where the time went, e.g. for a CI log."""
    ends = [start for _, start in phases[1:]] + [finished] if phases else []
    parts = [
        f"{name.split(' (')[0].lower()} {end - start:.0f} s"
        for (name, start), end in zip(phases, ends, strict=True)
    ]
    return f"Started in {finished - started:.0f} s" + (f": {'; '.join(parts)}" if parts else "")


def _check_search_options(search: str, search_url: str) -> None:
    """--search names an engine; --search-url is a plain-HTTP OpenSearch (the store signs nothing)."""
    if search not in ("embedded", "opensearch"):
        raise typer.BadParameter(
            f"{search!r} is not a search engine: embedded or opensearch", param_hint="--search"
        )
    if not search_url:
        return
    if search != "embedded":
        raise typer.BadParameter(
            "give --search opensearch or --search-url, not both", param_hint="--search-url"
        )
    url = urlparse(search_url)
    if url.scheme != "http" or not url.hostname or url.path.strip("/") or url.query:
        raise typer.BadParameter(
            f"{search_url!r} is not http://host[:port]: the local functions reach OpenSearch without TLS "
            "or signing (run it with its security plugin disabled)",
            param_hint="--search-url",
        )


def up(
    port: Annotated[int, typer.Option(help="Port of the store on 127.0.0.1 (API under /Prod/).")] = 3000,
    state_dir: Annotated[
        Path, typer.Option(help="Where the store keeps its state across restarts.")
    ] = STATE_DIR,
    data: Annotated[str, typer.Option(help=DATA_HELP)] = "synthetic",
    no_train: Annotated[
        bool, typer.Option("--no-train", help="Leave training to the workshop notebooks.", metavar="flag")
    ] = False,
    search: Annotated[
        str,
        typer.Option(
            help="Search engine: embedded (default), or opensearch: a real OpenSearch node "
            "(scripts/opensearch-node) in the state directory."
        ),
    ] = "embedded",
    search_url: Annotated[
        str,
        typer.Option(
            help="Use this running OpenSearch (http://host:port) instead; it is not started or stopped."
        ),
    ] = "",
) -> None:
    """Start the store and serve until Ctrl-C."""
    # Imported here, not at the top: moto and the stand-ins take seconds to import, which every
    # other `allstore` command (e.g. `local env` in a shell's eval) would otherwise pay.
    from allstore.local.data_source import DataError, real_data_folder
    from allstore.local.store import LocalStore, StoreError, StoreOptions, claim_state_dir
    from allstore.local.web_build import ensure_web_build

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _check_search_options(search, search_url)
    try:
        real_data_folder(data)
    except DataError as error:
        raise typer.BadParameter(str(error).removeprefix("--data "), param_hint="--data") from None
    with refused_in_one_line(port):  # before anything is built, deleted or logged
        lock = claim_state_dir(state_dir.resolve(), port)
    web_dir = ensure_web_build(console)
    options = StoreOptions(
        state_dir=state_dir,
        port=port,
        data=data,
        train=not no_train,
        web_dir=web_dir,
        search=search,
        search_url=search_url,
    )
    stopping = threading.Event()
    # Ctrl-C interrupts (even when started from a shell that ignores SIGINT for background jobs); TERM stops too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    store: LocalStore | None = None
    phases: list[tuple[str, float]] = []
    started = time.monotonic()
    with refused_in_one_line(port):  # e.g. --port taken by another program
        try:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                store = LocalStore(options, _progress_reporter(progress, phases), lock=lock)
                url = store.start()
            store.warm_functions()
            if not console.is_terminal:  # no live bars to read afterwards: say what start-up did
                print(start_summary(phases, started, time.monotonic()), flush=True)
            print(f"AllStore is ready at {url}", flush=True)
            console.print(
                "Point the AWS CLI, boto3 or notebooks at it with: "
                f'eval "$(allstore local env --state-dir {shlex.quote(str(state_dir))})"'
            )
            stopping.wait()
        except (StoreError, DataError) as error:  # said in one line; the log has the details
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            pass
        finally:
            if store is not None:
                console.print("Stopping: saving the store's state…")
                store.stop()
                console.print("Stopped.")


def env(
    state_dir: Annotated[Path, typer.Option(help="The running store's state directory.")] = STATE_DIR,
) -> None:
    """Print `export` lines pointing boto3, the AWS CLI or a notebook at the running local store."""
    for line in export_lines(dict(sorted(_store_environment(state_dir).items()))):
        print(line)


def notebook(
    state_dir: Annotated[Path, typer.Option(help="The running store's state directory.")] = STATE_DIR,
    port: Annotated[int, typer.Option(help="JupyterLab's port on 127.0.0.1.")] = 8888,
    jupyter_args: Annotated[
        list[str] | None, typer.Argument(help="More JupyterLab options, after `--` (e.g. -- --allow-root).")
    ] = None,
) -> None:
    """Start JupyterLab on the workshop notebooks, pointed at the running local store."""
    environment = {**os.environ, **_store_environment(state_dir)}
    kernels = write_kernelspec(state_dir.resolve() / "jupyter")  # the notebooks declare conda_python3
    environment["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(kernels), os.environ.get("JUPYTER_PATH")])
    )
    command = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser"]
    command += [f"--ServerApp.root_dir={NOTEBOOKS_DIR}", *(jupyter_args or [])]
    if os.geteuid() == 0 and "--allow-root" not in command:  # JupyterLab refuses root without it
        command.append("--allow-root")
    typer.echo(
        f"JupyterLab on the notebooks in {NOTEBOOKS_DIR} (kernel {KERNEL_NAME} is this Python), "
        f"using the store in {state_dir}; Ctrl-C stops it."
    )
    try:
        completed = subprocess.run(command, env=environment, check=False)  # noqa: S603 - our own interpreter
    except KeyboardInterrupt:
        return
    raise typer.Exit(completed.returncode)


def _store_environment(state_dir: Path) -> dict[str, str]:
    """The store's variables, or the reason there are none on stderr and exit 1 (stdout stays
    `export` lines only, for `eval`)."""
    from allstore.local.store_environment import StoreNotRunning, local_store_environment

    try:
        return local_store_environment(state_dir)
    except StoreNotRunning as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
