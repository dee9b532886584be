"""A real OpenSearch node on 127.0.0.1, assembled from Maven Central artefacts (no Docker needed).

The store's cloud engine is Amazon OpenSearch Service; this runs the same engine locally so the
handlers and the embedded search server can be checked against it. Maven resolves the server, the
Java agent and each module with their libraries (tools/opensearch-node/pom.xml) once into a cache
outside the repository; that cache is laid out as the distribution's home (lib/, agent/,
modules/<name>/ with its plugin descriptor and policy). Each node has its own folder (config/,
data/, logs/) and runs `org.opensearch.bootstrap.OpenSearch` directly, with the distribution's JVM
options. OpenSearch refuses to run as root, so under root the node runs as `nobody`.

    python -m allstore.local.opensearch_node fetch|start|stop|status [--dir DIR] [--port N]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VERSION = "3.3.0"  # the template's EngineVersion is OpenSearch_3.3; why 3.3.0: docs/search.md "Engines"
MIN_JAVA = 21  # OpenSearch 3.x
TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools" / "opensearch-node"
# Modules in load order; analysis-common extends lang-painless.
MODULES = ("lang-painless", "analysis-common", "transport-netty4")
MAIN_CLASS = "org.opensearch.bootstrap.OpenSearch"
NODE_USER = "nobody"
# Ports the Fetch standard's port blocking forbids browsers to connect to (https://fetch.spec.whatwg.org/
# #port-blocking) that an unprivileged process may bind, longest-blocked first: a node listening on
# them cannot be reached by any web page, DNS rebinding or not (OpenSearch checks no Host).
BROWSER_BLOCKED_PORTS = (
    6665,
    6666,
    6667,
    6668,
    6669,
    6000,
    2049,
    4045,
    6697,
    6679,
    10080,
    5060,
    5061,
    1719,
    1720,
    1723,
    3659,
    4190,
    6566,
)
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 60.0


class NodeError(RuntimeError):
    """The node cannot be fetched, started or stopped; the message says why and where to look."""


# ---------------------------------------------------------------------------------- the cached home


def cache_root() -> Path:
    """Where homes are cached: $ALLSTORE_CACHE, else ~/.cache/allstore (root: /var/cache/allstore).

    Under root the node runs as `nobody`, which cannot read root's home folder.
    """
    if os.environ.get("ALLSTORE_CACHE"):
        return Path(os.environ["ALLSTORE_CACHE"])
    if os.geteuid() == 0:
        return Path("/var/cache/allstore")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "allstore"


def home_dir(version: str = VERSION) -> Path:
    return cache_root() / f"opensearch-{version}"


def ensure_home(version: str = VERSION, say=print) -> Path:
    """The assembled home for `version`, fetched with Maven on first use (a lock keeps one fetcher)."""
    home = home_dir(version)
    if (home / ".complete").is_file():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f".opensearch-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / ".complete").is_file():
            return home
        say(f"Fetching OpenSearch {version} from Maven Central into {home} (once)")
        staging = home.with_name(home.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        _assemble(staging, version)
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return home


def _maven_copy(profile: str, version: str, target: Path) -> list[Path]:
    """The jars of one pom profile (the artefact and its runtime libraries), copied into `target`."""
    maven = shutil.which("mvn")
    if maven is None:
        raise NodeError("Maven (mvn) is not installed; install it (apt-get install maven) and retry")
    command = [
        maven,
        "-q",
        "-B",
        "-f",
        str(TOOLS_DIR / "pom.xml"),
        "-P",
        profile,
        f"-Dopensearch.version={version}",
        "dependency:copy-dependencies",
        f"-DoutputDirectory={target}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise NodeError(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    return sorted(target.glob("*.jar"))


def _assemble(home: Path, version: str) -> None:
    """Lay the artefacts out as the distribution does; module folders hold only what lib/ lacks."""
    downloads = home / ".maven"
    lib = home / "lib"
    lib.mkdir(parents=True)
    for jar in _maven_copy("server", version, downloads / "server"):
        shutil.copy(jar, lib)
    (home / "agent").mkdir()
    for jar in _maven_copy("agent", version, downloads / "agent"):
        shutil.copy(jar, home / "agent")
    server_jars = {jar.name for jar in lib.iterdir()}
    for module in MODULES:
        folder = home / "modules" / module
        folder.mkdir(parents=True)
        for jar in _maven_copy(module, version, downloads / module):
            if jar.name not in server_jars:
                shutil.copy(jar, folder)
        for name in ("plugin-descriptor.properties", "plugin-security.policy"):
            source = TOOLS_DIR / "modules" / module / name
            if source.is_file():
                (folder / name).write_text(source.read_text().replace("${opensearch.version}", version))
    for empty in ("bin", "plugins"):  # the server checks that these exist
        (home / empty).mkdir()
    shutil.rmtree(downloads)
    for path in [home, *home.rglob("*")]:  # readable by the node's user whatever the umask
        path.chmod(0o755 if path.is_dir() else 0o644)
    (home / ".complete").write_text(version + "\n")


# ---------------------------------------------------------------------------------- Java


def _java_major(java_home: Path) -> int:
    release = java_home / "release"
    match = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(), re.M) if release.is_file() else None
    return int(match.group(1)) if match else 0


def find_java(minimum: int = MIN_JAVA) -> tuple[Path, int]:
    """A JDK new enough for the node: $OPENSEARCH_JAVA_HOME, $JAVA_HOME, else the newest in /usr/lib/jvm."""
    candidates = [
        Path(os.environ[name]) for name in ("OPENSEARCH_JAVA_HOME", "JAVA_HOME") if os.environ.get(name)
    ]
    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        candidates += sorted(jvm_dir.iterdir(), key=_java_major, reverse=True)
    for java_home in candidates:
        major = _java_major(java_home)
        if major >= minimum and (java_home / "bin" / "java").is_file():
            return java_home, major
    raise NodeError(
        f"OpenSearch {VERSION} needs Java {minimum} or newer; none found "
        "(set OPENSEARCH_JAVA_HOME to a JDK, or install one under /usr/lib/jvm)"
    )


def jvm_options(path: Path, java_major: int, values: dict[str, str]) -> list[str]:
    """The options of a jvm.options file for this Java: `N-:`, `N-M:` and `N:` prefixes as OpenSearch reads them."""
    options = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^(\d+)(-(\d*))?:(.*)$", line)
        if match:
            low, dash, high, line = int(match.group(1)), match.group(2), match.group(3), match.group(4)
            upper = (int(high) if high else 1 << 30) if dash else low
            if not low <= java_major <= upper:
                continue
        for name, value in values.items():
            line = line.replace("${" + name + "}", value)
        options.append(line)
    return options


# ---------------------------------------------------------------------------------- a node


def free_port(candidates: tuple[int, ...] = (0,), taken: tuple[int, ...] = ()) -> int:
    """The first of `candidates` (0: any) free on 127.0.0.1 and not in `taken`."""
    for candidate in candidates:
        if candidate and candidate in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise NodeError(f"none of the ports {', '.join(map(str, candidates))} is free on 127.0.0.1")


class OpenSearchNode:
    """One node in `node_dir`: `start()` returns its URL once green, `stop()` ends it cleanly.

    The node's process and URL are kept in `node_dir/node.json`, so another process (the CLI's
    `stop` or `status`) can find it. `out_of_pages_reach` puts its HTTP and transport ports on
    ports browsers refuse (BROWSER_BLOCKED_PORTS), for a node only a front (the store's) talks to.
    """

    def __init__(
        self, node_dir: Path, port: int = 0, version: str = VERSION, out_of_pages_reach: bool = False
    ) -> None:
        self.node_dir = node_dir.resolve()
        self.port = port
        self.out_of_pages_reach = out_of_pages_reach
        self.version = version
        self.log_path = self.node_dir / "logs" / "node.log"
        self._watcher: subprocess.Popen | None = None

    @property
    def _state_path(self) -> Path:
        return self.node_dir / "node.json"

    def running(self) -> dict | None:
        """The running node's {pid, url}, or None when no node of this folder runs."""
        try:
            state = json.loads(self._state_path.read_text())
            cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, KeyError):
            return None
        ours = MAIN_CLASS.encode() in cmdline and any(str(self.node_dir).encode() in part for part in cmdline)
        return state if ours else None  # a reused pid is not our node

    def start(
        self, timeout: float = START_TIMEOUT_SECONDS, say=print, with_this_process: bool = False
    ) -> str:
        """Start the node and wait for green; `with_this_process` stops it when this process ends, even killed."""
        if (state := self.running()) is not None:
            raise NodeError(
                f"a node already runs from {self.node_dir} at {state['url']} (pid {state['pid']})"
            )
        home = ensure_home(self.version, say)
        java_home, java_major = find_java()
        candidates = BROWSER_BLOCKED_PORTS if self.out_of_pages_reach else (0,)
        http_port = self.port or free_port(candidates)
        values = {
            "http.port": str(http_port),
            "transport.port": str(free_port(candidates, taken=(http_port,))),
            "node.dir": str(self.node_dir),
            "opensearch.version": self.version,
            "OPENSEARCH_HOME": str(home),
            "OPENSEARCH_TMPDIR": str(self.node_dir / "tmp"),
        }
        self._prepare_dir(values)
        command = [
            str(java_home / "bin" / "java"),
            *jvm_options(self.node_dir / "config" / "jvm.options", java_major, values),
            *os.environ.get("OPENSEARCH_JAVA_OPTS", "").split(),
            f"-Dopensearch.path.home={home}",
            f"-Dopensearch.path.conf={self.node_dir / 'config'}",
            "-Dopensearch.distribution.type=tar",
            "-Dopensearch.bundled_jdk=false",
            "-cp",
            f"{home / 'lib'}/*",
            MAIN_CLASS,
        ]
        as_root = os.geteuid() == 0
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(  # noqa: S603 - the JDK found above, our own arguments
                command,
                cwd=self.node_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "JAVA_HOME": str(java_home),
                    "HOME": str(self.node_dir),
                    "LANG": "C.UTF-8",
                },
                start_new_session=True,  # a Ctrl-C in the terminal reaches the launcher, which stops it
                user=NODE_USER if as_root else None,
                group=_node_group() if as_root else None,
                extra_groups=[] if as_root else None,
            )
        url = f"http://127.0.0.1:{http_port}"
        self._state_path.write_text(json.dumps({"pid": process.pid, "url": url, "version": self.version}))
        if with_this_process:
            self._watcher = subprocess.Popen(  # noqa: S603 - our interpreter, our code
                [sys.executable, "-c", _WATCHER, str(process.pid), MAIN_CLASS],
                stdin=subprocess.PIPE,
                start_new_session=True,
            )
        try:
            self._wait_for_green(url, process, timeout)
        except BaseException:
            self.stop()
            raise
        say(f"OpenSearch {self.version} is green at {url} after {time.monotonic() - started:.1f} s")
        return url

    def _prepare_dir(self, values: dict[str, str]) -> None:
        """config/ from tools/opensearch-node/config (ports filled in), data/, logs/, tmp/; owned by the node's user."""
        config = self.node_dir / "config"
        for folder in (config, self.node_dir / "data", self.node_dir / "logs", self.node_dir / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        for source in (TOOLS_DIR / "config").iterdir():
            text = source.read_text()
            if source.name == "opensearch.yml":
                for name, value in values.items():
                    text = text.replace("${" + name + "}", value)
            (config / source.name).write_text(text)
        if os.geteuid() == 0:
            _check_reachable(self.node_dir)
            for path in [self.node_dir, *self.node_dir.rglob("*")]:
                os.chown(path, _node_uid(), _node_group(), follow_symlinks=False)

    def _wait_for_green(self, url: str, process: subprocess.Popen, timeout: float) -> None:
        """Wait until the node answers, make new indexes replica-free (one node holds no replicas), wait for green.

        `cluster.default_number_of_replicas` is read from the cluster's persistent settings, not from
        opensearch.yml.
        """
        deadline = time.monotonic() + timeout
        replicas_set = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise NodeError(
                    f"OpenSearch exited with {process.returncode} while starting:\n{self.log_tail()}"
                )
            try:
                if not replicas_set:
                    _request(
                        url, "/_cluster/settings", {"persistent": {"cluster.default_number_of_replicas": 0}}
                    )
                    replicas_set = True
                if cluster_health(url, wait_for_green=True).get("status") == "green":
                    return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.5)
        raise NodeError(f"OpenSearch was not green within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """SIGTERM (OpenSearch closes its indexes and exits), SIGKILL after `timeout`; False if none ran."""
        if self._watcher is not None:  # stopping here: the watcher's work is done
            self._watcher.kill()
            self._watcher.wait()
            self._watcher = None
        state = self.running()
        if state is None:
            self._state_path.unlink(missing_ok=True)
            return False
        pid = int(state["pid"])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        self._state_path.unlink(missing_ok=True)
        return True

    def health(self) -> dict | None:
        state = self.running()
        if state is None:
            return None
        try:
            return {**state, **cluster_health(state["url"])}
        except (urllib.error.URLError, OSError, ValueError) as error:
            return {**state, "status": f"not answering ({error})"}

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return f"(no log at {self.log_path})"


def _request(url: str, path: str, body: dict | None = None) -> dict:
    """GET (or PUT `body`) `path` on the node at `url` (http://127.0.0.1:<port>, built here)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310
        url + path, data=data, method="PUT" if data else "GET", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.load(response)


def cluster_health(url: str, wait_for_green: bool = False) -> dict:
    """The node's /_cluster/health, waiting up to a second for green when asked."""
    return _request(url, "/_cluster/health" + ("?wait_for_status=green&timeout=1s" if wait_for_green else ""))


# Waits for its stdin to close (the process that started the node ended, however it ended), then
# stops the node as `stop()` would, unless its pid is no longer the node's.
_WATCHER = """
import os, signal, sys, time
sys.stdin.buffer.read()
pid, main_class = int(sys.argv[1]), sys.argv[2].encode()
def alive():
    try:
        return main_class in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False
if alive():
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while alive() and time.monotonic() < deadline:
        time.sleep(0.5)
    if alive():
        os.kill(pid, signal.SIGKILL)
"""


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        if not Path(f"/proc/{pid}").exists() or _zombie(pid):
            return True
        time.sleep(0.2)
    return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _node_uid() -> int:
    import pwd

    return pwd.getpwnam(NODE_USER).pw_uid


def _node_group() -> int:
    import pwd

    return pwd.getpwnam(NODE_USER).pw_gid


def _check_reachable(node_dir: Path) -> None:
    """Under root the node runs as `nobody`: every folder above its own must be searchable by others."""
    for parent in node_dir.parents:
        if not parent.stat().st_mode & 0o001:
            raise NodeError(
                f"the node runs as {NODE_USER!r} (OpenSearch refuses root) and cannot reach {node_dir}: "
                f"{parent} is not searchable by other users; choose a node folder elsewhere (e.g. under /tmp)"
            )


# ---------------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opensearch-node", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("fetch", "start", "stop", "status"))
    parser.add_argument(
        "--dir", type=Path, default=None, help="the node's folder (default: <cache>/opensearch-node)"
    )
    parser.add_argument("--port", type=int, default=9200, help="HTTP port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--version", default=VERSION, help=f"OpenSearch version (default {VERSION})")
    args = parser.parse_args(argv)
    node = OpenSearchNode(args.dir or cache_root() / "opensearch-node", port=args.port, version=args.version)
    try:
        if args.action == "fetch":
            print(ensure_home(args.version))
        elif args.action == "start":
            print(node.start())
        elif args.action == "stop":
            print("stopped" if node.stop() else f"no node runs from {node.node_dir}")
        else:
            health = node.health()
            if health is None:
                print(f"no node runs from {node.node_dir}")
                return 3
            print(json.dumps(health, indent=2))
    except NodeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
