"""Run a Lambda function's handler locally with the function's current configuration.

Every invocation first reads the function's configuration from local Lambda (moto), so an
`update_function_configuration` — e.g. a notebook setting CAMPAIGN_ARN — applies to the very next
invocation. Environments are per process, so each function runs in its own worker processes (see
`lambda_worker`), and a worker whose environment is out of date is replaced, like a Lambda
container after a configuration change. Up to `max_workers` invocations of one function run at
once, as Lambda scales by concurrency.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from allstore.local.child_environment import child_environment
from allstore.local.provision import FunctionSpec

log = logging.getLogger(__name__)

WORKER_START_TIMEOUT = 120.0


class FunctionError(Exception):
    """The handler raised (or timed out): `payload` is Lambda's error document. `worker_lost`: the
    worker was killed from outside mid-invocation (a crash of the local machinery, not of the code)."""

    def __init__(self, payload: dict[str, Any], worker_lost: bool = False) -> None:
        super().__init__(payload.get("errorMessage", "function error"))
        self.payload = payload
        self.worker_lost = worker_lost


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection
    fingerprint: str

    def exit_code(self, wait: float = 0.0) -> int | None:
        """The worker's exit status once it has ended (negative: the signal that killed it)."""
        try:
            return self.process.wait(timeout=wait) if wait else self.process.poll()
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        self.connection.close()  # the worker exits at EOF
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=2)


class FunctionRuntime:
    """A function's pool of worker processes; `invoke(event)` returns the handler's JSON result."""

    def __init__(
        self,
        spec: FunctionSpec,
        configuration_source: Callable[[str], dict[str, Any]],
        runtime_environment: dict[str, str],
        log_dir: Path,
        max_workers: int = 4,
    ) -> None:
        self.spec = spec
        self._configuration_source = configuration_source
        self._runtime_environment = runtime_environment
        self._log_path = log_dir / f"{spec.name}.log"
        self._max_workers = max_workers
        self._idle: list[_Worker] = []
        self._count = 0
        self._available = threading.Condition()
        self._closed = False

    def configuration(self) -> dict[str, Any]:
        """The function's live configuration from local Lambda."""
        return self._configuration_source(self.spec.name)

    def environment(self, configuration: dict[str, Any]) -> dict[str, str]:
        """What the handler's process sees: host basics (never the user's secrets), the configured
        variables, then the runtime's own."""
        environment = child_environment(configuration.get("Environment", {}).get("Variables", {}))
        environment.update(self._runtime_environment)
        environment.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(
                    configuration.get("MemorySize", self.spec.memory_size)
                ),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.spec.name}",
                "LAMBDA_TASK_ROOT": str(self.spec.code_dir),
                "_HANDLER": configuration.get("Handler", self.spec.handler),
                "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
            }
        )
        return environment

    def invoke(self, event: Any) -> Any:
        """Run the handler on `event` with the current configuration; raises FunctionError on failure."""
        environment, handler, timeout, fingerprint = self._current()
        worker = self._acquire(fingerprint, environment, handler)
        healthy = False
        try:
            worker.connection.send((event, self.spec.arn, timeout))
            if not worker.connection.poll(timeout):
                raise FunctionError(
                    {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"Task timed out after {timeout:.2f} seconds",
                    }
                )
            status, payload = worker.connection.recv()
            healthy = True
        except (EOFError, OSError) as error:
            code = worker.exit_code(wait=2.0)
            killed = code is not None and code < 0
            log.warning(
                "a worker of %s (pid %s) ended during an invocation (%s); the next one starts afresh",
                self.spec.name,
                worker.process.pid,
                f"signal {-code}" if killed else f"exit status {code}",
            )
            raise FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "Runtime exited with error: "
                    + (f"signal {-code}" if killed else f"exit status {code}"),
                },
                worker_lost=killed,
            ) from error
        finally:
            self._release(worker, healthy)
        if status == "error":
            raise FunctionError(payload)
        return json.loads(payload)

    def warm(self) -> None:
        """Start one worker now, so the first request does not pay the cold start."""
        environment, handler, _, fingerprint = self._current()
        self._release(self._acquire(fingerprint, environment, handler), healthy=True)

    def reap(self) -> list[tuple[int, int]]:
        """Drop idle workers that have died: (pid, exit status) of each."""
        with self._available:
            dead = [worker for worker in self._idle if worker.exit_code() is not None]
            for worker in dead:
                self._idle.remove(worker)
                self._count -= 1
            if dead:
                self._available.notify()
        for worker in dead:
            worker.connection.close()
        return [(worker.process.pid, worker.process.returncode) for worker in dead]

    def stop(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            worker.stop()

    # ------------------------------------------------------------------ pool

    def _current(self) -> tuple[dict[str, str], str, float, str]:
        """Environment, handler, timeout and a fingerprint of what a worker must match, from the live configuration."""
        configuration = self.configuration()
        environment = self.environment(configuration)
        handler = configuration.get("Handler", self.spec.handler)
        timeout = float(configuration.get("Timeout", self.spec.timeout))
        fingerprint = hashlib.sha256(json.dumps([environment, handler], sort_keys=True).encode()).hexdigest()
        return environment, handler, timeout, fingerprint

    def _acquire(self, fingerprint: str, environment: dict[str, str], handler: str) -> _Worker:
        stale: list[_Worker] = []
        with self._available:
            while True:
                if self._closed:
                    raise FunctionError(
                        {"errorType": "Runtime.Stopped", "errorMessage": "the local store is stopping"}
                    )
                for worker in list(self._idle):
                    if worker.fingerprint != fingerprint:
                        self._idle.remove(worker)
                        self._count -= 1
                        stale.append(worker)
                match = next((w for w in self._idle if w.fingerprint == fingerprint), None)
                if match is not None:
                    self._idle.remove(match)
                    break
                if self._count < self._max_workers:
                    self._count += 1
                    break
                self._available.wait()
        for worker in stale:
            worker.stop()
        if match is not None:
            return match
        try:
            return self._spawn(fingerprint, environment, handler)
        except BaseException:
            with self._available:
                self._count -= 1
                self._available.notify()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._available:
            if healthy and not self._closed:
                self._idle.append(worker)
                worker = None
            else:
                self._count -= 1
            self._available.notify()
        if worker is not None:
            worker.stop()

    def _spawn(self, fingerprint: str, environment: dict[str, str], handler: str) -> _Worker:
        parent_socket, child_socket = socket.socketpair()
        with open(self._log_path, "ab") as log_file:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "allstore.local.lambda_worker",
                    str(child_socket.fileno()),
                    str(self.spec.code_dir),
                    handler,
                ],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                pass_fds=(child_socket.fileno(),),
                start_new_session=True,  # Ctrl-C reaches the runner, which stops workers in order
            )
        child_socket.close()
        parent = Connection(parent_socket.detach())
        worker = _Worker(process, parent, fingerprint)
        if not parent.poll(WORKER_START_TIMEOUT):
            worker.stop()
            raise FunctionError(
                {"errorType": "Runtime.Unavailable", "errorMessage": "the function did not start"}
            )
        try:
            parent.recv()  # "ready"
        except EOFError as error:
            worker.stop()
            raise FunctionError(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"the function's process exited at start: {error!r}",
                }
            ) from error
        log.debug("started a worker for %s (pid %s)", self.spec.name, process.pid)
        return worker
