"""A local stand-in server (search or Personalize) in a process of its own.

The stand-ins do CPU-heavy Python work (search queries, model scoring, training). Inside the runner
they would share one interpreter lock with moto and the gateway, and every API request would wait
on their work; in their own processes they run beside it on the other cores. A child serves until
its stdin closes — when the runner stops it, or dies — then saves its state and exits, as a Lambda
worker does. A child that dies is started again on the same port (`restart`), so every URL the
functions were given stays right. A child given a credentials file (the store's) accepts only
requests signed with that key pair; its path, never the secret, is on the command line.

    python -m allstore.local.service_process <search|personalize> <state dir> [port [credentials file]]
"""

from __future__ import annotations

import logging
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from allstore.credentials import StoreCredentials
from allstore.local.child_environment import child_environment

KINDS = ("search", "personalize")
START_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 60.0


class ServiceProcess:
    """`start()`, then `url = wait_until_serving()`, then `stop()`; children start side by side."""

    def __init__(
        self,
        kind: str,
        state_dir: Path,
        log_path: Path,
        environment: dict[str, str] | None = None,
        credentials_file: Path | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown local service {kind!r}; expected one of {KINDS}")
        self.kind = kind
        self.state_dir = state_dir
        self.log_path = log_path
        self.credentials_file = credentials_file
        self.environment = child_environment(environment)  # never the user's secrets
        self._process: subprocess.Popen[str] | None = None
        self.url = ""  # once serving; a restart serves here again

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exit_description(self) -> str:
        """How the last child ended, e.g. `killed by signal 9`."""
        code = self._process.poll() if self._process is not None else None
        if code is None:
            return "not running"
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"

    def start(self) -> None:
        """Start the child; it loads in the background (see `wait_until_serving`)."""
        port = self.url.rsplit(":", 1)[1] if self.url else "0"
        credentials = [str(self.credentials_file)] if self.credentials_file is not None else []
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", __name__, self.kind, str(self.state_dir), port, *credentials],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env=self.environment,
                text=True,
                start_new_session=True,  # Ctrl-C reaches the runner, which stops its children in order
            )

    def wait_until_serving(self) -> str:
        """The child's URL, once it serves; RuntimeError if it exits or hangs first."""
        assert self._process is not None and self._process.stdout is not None, "start() first"
        ready, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT_SECONDS)
        url = self._process.stdout.readline().strip() if ready else ""
        if not url.startswith("http://") or (self.url and url != self.url):
            self.stop()
            raise RuntimeError(f"the local {self.kind} server did not start; its log is {self.log_path}")
        self.url = url
        return url

    def restart(self) -> str:
        """Start a dead child again on its port, from its saved state; its URL."""
        self.stop()  # reaps the dead child and closes its pipes
        self.start()
        return self.wait_until_serving()

    def stop(self) -> None:
        """Close the child's stdin (it saves and exits); kill it if it does not within a minute."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _server(kind: str, state_dir: Path, port: int, credentials: StoreCredentials | None) -> Any:
    if kind == "search":
        from allstore.search.server import SearchServer

        return SearchServer(state_dir, port=port, credentials=credentials)
    from allstore.personalize.server import PersonalizeServer

    return PersonalizeServer(state_dir, port=port, credentials=credentials)


def main(kind: str, state_dir: str, port: str = "0", credentials_file: str = "") -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    credentials = StoreCredentials.read_file(Path(credentials_file)) if credentials_file else None
    server = _server(kind, Path(state_dir), int(port), credentials)
    print(server.start(), flush=True)
    try:
        sys.stdin.read()  # returns at EOF: the runner stopped or went away
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main(*sys.argv[1:5])
