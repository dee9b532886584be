"""The whole store on one machine: start local AWS, provision template.yaml, load, train, serve.

`LocalStore(options).start()` returns the store's URL once it is ready; `stop()` saves its state and
shuts every server and worker down. A first start loads the data through the template's custom
resources and trains the recommenders; a later start with the same state directory restores the
saved state instead and is ready in seconds.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from allstore.credentials import CREDENTIALS_FILE, StoreCredentials
from allstore.local import data_source
from allstore.local.api_gateway import api_routes
from allstore.local.aws import (
    ACCOUNT_ID,
    MOTO_SERVICES,
    PERSONALIZE_SERVICES,
    REGION,
    AwsClients,
    MotoServer,
    endpoint_environment,
    function_configuration,
)
from allstore.local.custom_resources import ResponseCollector, run_custom_resource
from allstore.local.dead_letters import DeadLetters
from allstore.local.event_sources import MappingSettings, StreamPoller
from allstore.local.gateway import Gateway
from allstore.local.lambda_runtime import FunctionRuntime
from allstore.local.opensearch_front import OpenSearchFront
from allstore.local.opensearch_node import NodeError, OpenSearchNode
from allstore.local.personalize_bootstrap import DEPLOYMENTS, train_and_deploy
from allstore.local.provision import Provisioned, StackProvisioner
from allstore.local.search_reconcile import reconcile
from allstore.local.service_process import ServiceProcess
from allstore.local.snapshot import Snapshot
from allstore.local.state_file import read_state, write_state
from allstore.local.supervisor import Supervisor
from allstore.local.template import TEMPLATE_PATH, load_template
from allstore.state_dir import DirectoryLock, StateDirectoryInUse, holder, in_use_message

log = logging.getLogger(__name__)

REPO_ROOT = TEMPLATE_PATH.parent
STREAM_SERVICES = {"DynamoDB": "dynamodbstreams", "Kinesis": "kinesis"}
BROWSER_SERVICES = ("kinesis", "cognito-identity")
# The template's data-source parameters, pointed at the uploaded copies of the local data.
SERVICE_FOLDERS = ("search", "personalize")  # each served by a child process that locks it
ORPHAN_EXIT_SECONDS = 10.0  # a dead store's children see their stdin close, save and exit
SOURCE_PARAMETERS = {
    "ProductSource": "products",
    "UserSource": "users",
    "InteractionSource": "interactions",
    "ReviewSource": "reviews",
    "WebSource": "web",
}


@dataclass
class StoreOptions:
    state_dir: Path = Path(".allstore")
    port: int = 3000
    data: str = "synthetic"
    train: bool = True
    web_dir: Path | None = REPO_ROOT / "webui" / "dist"
    template_path: Path = TEMPLATE_PATH
    stack_name: str = "allstore"
    max_workers: int = 4
    snapshot_interval: float = 120.0
    search: str = "embedded"  # or "opensearch": a real node in <state dir>/opensearch
    search_url: str = ""  # an OpenSearch to use as it is (http://host:port): nothing started or stopped

    @property
    def search_engine(self) -> str:
        """What the state directory's index lives in, recorded so a restart uses the same engine."""
        return self.search_url or self.search


def _log_notice(message: str) -> None:
    log.warning("%s", message)


@dataclass
class Reporter:
    """Where the store reports progress: `phase(name, total)` then `step(description)` per unit;
    `notice(message)` for what happens once it runs (a child process died and was restarted)."""

    phase: Callable[[str, int], None] = lambda name, total: None
    step: Callable[[str], None] = lambda description: None
    notice: Callable[[str], None] = _log_notice


@dataclass
class _Servers:
    moto: MotoServer | None = None
    search: ServiceProcess | None = None
    opensearch: OpenSearchNode | None = None
    opensearch_front: OpenSearchFront | None = None  # the node's only advertised address
    personalize: ServiceProcess | None = None
    gateway: Gateway | None = None
    collector: ResponseCollector | None = None
    runtimes: dict[str, FunctionRuntime] = field(default_factory=dict)
    pollers: list[StreamPoller] = field(default_factory=list)
    supervisor: Supervisor | None = None


class StoreError(RuntimeError):
    """The store cannot start as asked (e.g. the state directory holds another dataset)."""


def claim_state_dir(state_dir: Path, port: int) -> DirectoryLock:
    """Own `state_dir` before anything in it is touched; StateDirectoryInUse (one line naming the
    running store and its port) when another store, or a search or Personalize server, uses it."""
    lock = DirectoryLock.acquire(state_dir, "local store")
    try:
        for folder in SERVICE_FOLDERS:
            deadline = time.monotonic() + ORPHAN_EXIT_SECONDS
            while (found := holder(state_dir / folder)) and time.monotonic() < deadline:
                time.sleep(0.2)
            if found:
                raise StateDirectoryInUse(in_use_message(state_dir / folder, "server", found))
    except BaseException:
        lock.release()
        raise
    lock.describe(**({"port": port} if port else {}))
    return lock


class LocalStore:
    """The whole store on one machine: starts, provisions, loads, trains, serves and stops it."""

    def __init__(
        self, options: StoreOptions, reporter: Reporter | None = None, lock: DirectoryLock | None = None
    ) -> None:
        """`lock`: the state directory, already claimed with `claim_state_dir` (else `start()` claims it)."""
        self.options = options
        self.reporter = reporter or Reporter()
        self.state_dir = options.state_dir.resolve()
        self.snapshot = Snapshot(self.state_dir)
        self.servers = _Servers()
        self.provisioner: StackProvisioner | None = None
        self.clients: AwsClients | None = None
        self.endpoints: dict[str, str] = {}
        self.url = ""
        self.credentials = StoreCredentials.generate()  # replaced by the state directory's at start
        self._stop_saving = threading.Event()
        self._saver: threading.Thread | None = None
        self._ready = False
        self._lock = lock

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        try:
            return self._start()
        except BaseException:
            self.stop(save=False)
            raise

    def stop(self, save: bool = True) -> None:
        """Save state (when the store got ready) and stop everything that was started."""
        self._stop_saving.set()
        if self._saver is not None:
            self._saver.join(timeout=30)
        if self.servers.supervisor is not None:
            self.servers.supervisor.stop()  # no restarts while everything stops
        for poller in self.servers.pollers:
            poller.stop()
        if save and self._ready and self.provisioner is not None and self.clients is not None:
            self.snapshot.save(self.provisioner, self.clients)
        if self.servers.gateway is not None:
            self.servers.gateway.stop()
        for runtime in self.servers.runtimes.values():
            runtime.stop()
        for server in (
            self.servers.collector,
            self.servers.search,
            self.servers.opensearch_front,
            self.servers.opensearch,
            self.servers.personalize,
            self.servers.moto,
        ):
            if server is not None:
                server.stop()
        self.servers = _Servers()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _start(self) -> str:
        options = self.options
        if self._lock is None:
            self._lock = claim_state_dir(self.state_dir, options.port)
        (self.state_dir / "logs").mkdir(exist_ok=True)
        self.credentials = StoreCredentials.for_state_dir(self.state_dir)
        previous = read_state(self.state_dir)
        if previous and previous.get("data") != options.data:
            raise StoreError(
                f"{self.state_dir} holds a store loaded from --data {previous.get('data')!r}; "
                f"use another --state-dir for {options.data!r}, or delete {self.state_dir}"
            )
        if previous and previous.get("search", "embedded") != options.search_engine:
            raise StoreError(
                f"{self.state_dir} holds a store indexed in the {previous.get('search', 'embedded')} search "
                f"engine; start it with the same --search/--search-url, or use another --state-dir"
            )
        warm = bool(previous.get("ready")) and self.snapshot.exists()
        if not warm:  # a fresh store: no search index or Personalize resources from an earlier one
            for folder in ("search", "opensearch", "personalize", "snapshot"):
                shutil.rmtree(self.state_dir / folder, ignore_errors=True)
        self.reporter.phase("Preparing the data", 1)
        data = data_source.prepare(options.data, self.state_dir, self.reporter.step)
        self.reporter.step("data ready")

        self.reporter.phase("Starting local AWS, search and Personalize", 4)
        self.servers.gateway = Gateway(  # bound now: its URL goes into the stack's environment
            port=options.port, credentials=self.credentials, web_dir=options.web_dir, images_dir=data.images
        )
        self._lock.describe(url=self.servers.gateway.url)  # a second start names it
        moto_url = self._start_moto()
        logs = self.state_dir / "logs"
        if options.search_engine == "embedded":
            self.servers.search = ServiceProcess(
                "search",
                self.state_dir / "search",
                logs / "search.log",
                credentials_file=self.state_dir / CREDENTIALS_FILE,  # it answers only the store's key
            )
        self.servers.personalize = ServiceProcess(
            "personalize",
            self.state_dir / "personalize",
            logs / "personalize.log",
            # its S3 reads and writes and its CloudWatch metrics go to local AWS, never AWS
            environment=endpoint_environment({"s3": moto_url, "cloudwatch": moto_url}, self.credentials),
            credentials_file=self.state_dir / CREDENTIALS_FILE,  # it answers only the store's key
        )
        if self.servers.search is not None:
            self.servers.search.start()
        self.servers.personalize.start()
        search_url = self._search_url()
        self.reporter.step("search server")
        personalize_url = self.servers.personalize.wait_until_serving()
        self.reporter.step("Personalize service")
        gateway_url = self.servers.gateway.url.rstrip("/")
        self.endpoints = {
            **dict.fromkeys(MOTO_SERVICES, moto_url),
            **dict.fromkeys(PERSONALIZE_SERVICES, personalize_url),
            "lambda": f"{gateway_url}/aws/lambda",  # Invoke runs the local functions
        }
        self.clients = AwsClients({**self.endpoints, "lambda": moto_url}, self.credentials)
        self.reporter.step("gateway")

        parameters = self._upload_sources(data, warm)
        self.provisioner = self._provision(parameters, search_url, gateway_url)
        self._start_runtimes()

        self.servers.supervisor = Supervisor(self.reporter.notice)
        if warm:
            self.reporter.phase("Restoring the saved store", 2)
            self.snapshot.restore(self.provisioner, self.clients)
            self.reporter.step("restored")
            self._start_pollers(starting_position="LATEST")
            self.reconcile_search()  # writes the stopped store had not indexed, or a lost index
            self.reporter.step("search index reconciled")
        else:
            self._run_custom_resources()
            self._start_pollers(starting_position=None)
            self._wait_for_stream_processing()
        self._supervise()

        outputs = self.provisioner.outputs()
        trained = warm and bool(previous.get("trained"))
        if options.train and not trained:
            self._train(outputs)
            trained = True
        self.url = gateway_url + "/"
        self._ready = True
        write_state(
            self.state_dir,
            {
                "data": options.data,
                "ready": True,
                "pid": os.getpid(),  # `allstore local env` tells a running store from a stopped one
                "trained": trained,
                "url": self.url,
                "stack_name": options.stack_name,
                "search": options.search_engine,
                "endpoints": self.endpoints,
                "outputs": outputs,
            },
        )
        self._saver = threading.Thread(
            target=self._save_periodically, args=(not warm,), name="snapshots", daemon=True
        )
        self._saver.start()
        return self.url

    # ------------------------------------------------------------------ steps

    def _start_moto(self) -> str:
        assert self.servers.gateway is not None
        self.servers.moto = MotoServer(self.credentials, trusted_origins=self.servers.gateway.origins)
        url = self.servers.moto.start()
        self.reporter.step("moto")
        return url

    def _search_url(self) -> str:
        """The embedded server's URL, the front of a real node (both started here), or --search-url as given."""
        if self.servers.search is not None:
            return self.servers.search.wait_until_serving()
        if self.options.search_url:
            return self.options.search_url.rstrip("/")
        # Holding the state directory, any node still running from its folder is a dead store's.
        self.servers.opensearch = OpenSearchNode(self.state_dir / "opensearch", out_of_pages_reach=True)
        self.servers.opensearch.stop()
        try:
            node_url = self.servers.opensearch.start(say=log.info, with_this_process=True)
        except NodeError as error:
            raise StoreError(f"the OpenSearch node did not start: {error}") from error
        self.servers.opensearch_front = OpenSearchFront(node_url, self.credentials)
        return self.servers.opensearch_front.start()

    def _upload_sources(self, data: data_source.DataFolder, warm: bool) -> dict[str, str]:
        """Put the data where the template's source parameters point (a bucket standing in for the public one)."""
        assert self.clients is not None
        bucket = f"{self.options.stack_name}-local-sources"
        s3 = self.clients("s3")
        s3.create_bucket(Bucket=bucket)
        files: dict[str, tuple[str, Callable[[], bytes]]] = {
            "products": (f"data/{data.products.name}", data.products.read_bytes),
            "interactions": (f"data/{data.interactions.name}", data.interactions.read_bytes),
            "web": ("webui.zip", lambda: web_archive(self.options.web_dir)),
        }
        if data.users is not None:
            files["users"] = (f"data/{data.users.name}", data.users.read_bytes)
        if data.reviews is not None:
            files["reviews"] = (f"data/{data.reviews.name}", data.reviews.read_bytes)
        template_parameters = load_template(self.options.template_path).get("Parameters", {})
        parameters = {}
        if not warm:
            self.reporter.phase("Uploading the data to local S3", len(files))
        for name, parameter in SOURCE_PARAMETERS.items():
            if parameter not in files or name not in template_parameters:
                if name in template_parameters:
                    parameters[name] = ""
                continue
            key, read = files[parameter]
            if not warm:
                s3.put_object(Bucket=bucket, Key=key, Body=read())
                self.reporter.step(key)
            parameters[name] = f"s3://{bucket}/{key}"
        return parameters

    def _provision(self, parameters: dict[str, str], search_url: str, gateway_url: str) -> StackProvisioner:
        assert self.clients is not None
        self.reporter.phase("Creating the stack's resources from template.yaml", 1)
        search_host = search_url.split("://", 1)[1]

        def search_domain(logical_id: str, properties: dict[str, Any]) -> Provisioned:
            name = properties.get("DomainName") or f"{self.options.stack_name}-{logical_id}".lower()
            arn = f"arn:aws:es:{REGION}:{ACCOUNT_ID}:domain/{name}"
            return Provisioned(
                ref=name, attributes={"DomainEndpoint": search_host, "Arn": arn, "DomainArn": arn}
            )

        browser_endpoints = json.dumps(
            {service: f"{gateway_url}/aws/{service}" for service in BROWSER_SERVICES}
        )

        def local_environment(variables: dict[str, str]) -> dict[str, str]:
            rewritten = {}
            for name, value in variables.items():
                # Local servers speak plain HTTP on the loopback interface.
                value = value.replace("https://127.0.0.1:", "http://127.0.0.1:")
                value = value.replace(f"https://{search_host}", search_url)  # --search-url is plain HTTP
                if name == "CLIENT_ENDPOINTS" and not value:
                    value = browser_endpoints
                rewritten[name] = value
            return rewritten

        provisioner = StackProvisioner(
            load_template(self.options.template_path),
            self.clients,
            template_dir=self.options.template_path.parent,
            parameters=parameters,
            stack_name=self.options.stack_name,
            local_resources={"AWS::OpenSearchService::Domain": search_domain},
            environment_rewrite=local_environment,
        )
        provisioner.provision()
        self.reporter.step(f"{sum(r.created for r in provisioner.resources.values())} resources")
        return provisioner

    def _start_runtimes(self) -> None:
        assert self.provisioner is not None and self.clients is not None and self.servers.gateway is not None
        runtime_environment = endpoint_environment(self.endpoints, self.credentials)
        for logical_id, spec in self.provisioner.functions.items():
            self.servers.runtimes[logical_id] = FunctionRuntime(
                spec,
                function_configuration,
                runtime_environment,
                self.state_dir / "logs",
                max_workers=self.options.max_workers,
            )
        api_definitions = {
            provisioned.ref: self.provisioner.resolver.resolve(
                self.provisioner.resource_definitions[logical_id].get("Properties", {})
            )
            for logical_id, provisioned in self.provisioner.resources.items()
            if self.provisioner.resource_definitions[logical_id]["Type"] == "AWS::Serverless::Api"
        }
        refs = {kind: [] for kind in ("AWS::Kinesis::Stream", "AWS::Cognito::IdentityPool")}
        for logical_id, provisioned in self.provisioner.resources.items():
            refs.get(self.provisioner.resource_definitions[logical_id]["Type"], []).append(provisioned.ref)
        self.servers.gateway.start(
            routes=api_routes(self.provisioner.functions, api_definitions),
            runtimes=self.servers.runtimes,
            moto_url=self.endpoints["dynamodb"],
            stream_names=refs["AWS::Kinesis::Stream"],
            identity_pools=refs["AWS::Cognito::IdentityPool"],
        )

    def _run_custom_resources(self) -> None:
        assert self.provisioner is not None
        custom = self.provisioner.custom_resources()
        self.reporter.phase("Loading the store (custom resources)", len(custom))
        self.servers.collector = ResponseCollector()
        stack_id = self.provisioner.resolver.pseudo_parameters["AWS::StackId"]
        for logical_id, resource in custom.items():
            properties = self.provisioner.resolver.resolve(resource.get("Properties", {}))
            runtime = self._runtime_by_arn(properties["ServiceToken"])
            self.provisioner.record(
                logical_id,
                run_custom_resource(
                    self.servers.collector,
                    runtime,
                    logical_id=logical_id,
                    resource_type=resource["Type"],
                    properties=properties,
                    stack_id=stack_id,
                ),
            )
            self.reporter.step(logical_id)

    def _runtime_by_arn(self, arn: str) -> FunctionRuntime:
        runtime = next((r for r in self.servers.runtimes.values() if r.spec.arn == arn), None)
        if runtime is None:
            raise StoreError(f"no local function has the ARN {arn}")
        return runtime

    def _start_pollers(self, starting_position: str | None) -> None:
        assert self.provisioner is not None and self.clients is not None
        clients = self.clients

        def send_to_queue(queue_arn: str, document: dict[str, Any]) -> None:
            name = queue_arn.rsplit(":", 1)[1]
            url = clients("sqs").get_queue_url(QueueName=name)["QueueUrl"]
            clients("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(document))

        dead_letters = DeadLetters(self.state_dir, send_to_queue)
        dead_letters.refill_queues()  # moto's queues start empty; the kept failures do not

        for logical_id, spec in self.provisioner.functions.items():
            for event in spec.events.values():
                if event.get("Type") not in STREAM_SERVICES:
                    continue
                settings = MappingSettings.from_event(event)
                poller = StreamPoller(
                    settings,
                    self.servers.runtimes[logical_id],
                    clients(STREAM_SERVICES[settings.kind]),
                    dead_letters.add,
                    function_role_arn=self.provisioner.lookup(f"{logical_id}Role", "Arn")
                    if f"{logical_id}Role" in self.provisioner.resource_definitions
                    else "",
                    dependencies=self.servers.supervisor,
                )
                poller.start(starting_position)
                self.servers.pollers.append(poller)

    def _supervise(self) -> None:
        """Watch the children from now on: a dead one is restarted (search then reconciled)."""
        supervisor = self.servers.supervisor
        assert supervisor is not None
        if self.servers.search is not None:
            supervisor.watch("search", self.servers.search, recovered=self.reconcile_search)
        if self.servers.personalize is not None:
            supervisor.watch("Personalize", self.servers.personalize)
        for runtime in self.servers.runtimes.values():
            supervisor.watch_workers(runtime.spec.name, runtime)
        supervisor.start()

    def reconcile_search(self) -> None:
        """Make every search index fed by a DynamoDB stream equal its table (pausing that stream)."""
        assert self.clients is not None
        for poller in self.servers.pollers:
            variables = poller.runtime.configuration().get("Environment", {}).get("Variables", {})
            if poller.settings.kind != "DynamoDB" or not variables.get("SEARCH_ENDPOINT"):
                continue
            with poller.batch_lock:
                try:
                    reconcile(
                        poller.runtime,
                        poller.settings.stream_arn,
                        self.clients("dynamodb"),
                        variables["SEARCH_ENDPOINT"],
                        self.credentials,
                        **({"index": variables["SEARCH_INDEX"]} if variables.get("SEARCH_INDEX") else {}),
                    )
                except Exception:
                    log.exception("reconciling the search index of %s failed", poller.runtime.spec.name)

    def _wait_for_stream_processing(self, timeout: float = 600.0) -> None:
        """After the first load, let the stream consumers catch up (search indexes every product) before 'ready'."""
        self.reporter.phase("Indexing the catalogue for search (Items stream)", len(self.servers.pollers))
        for poller in self.servers.pollers:
            if not poller.idle.wait(timeout):
                log.warning(
                    "%s is still processing its stream after %.0f s", poller.runtime.spec.name, timeout
                )
            self.reporter.step(poller.runtime.spec.name)

    def _train(self, outputs: dict[str, Any]) -> None:
        assert self.clients is not None
        steps = 3 + 2 * len(DEPLOYMENTS)  # import, the filter, the tracker; train + deploy each
        self.reporter.phase(
            "Training the recommenders (User-Personalization, SIMS, Personalized-Ranking)", steps
        )
        train_and_deploy(
            self.clients("personalize"),
            self.clients("ssm"),
            stack=self.options.stack_name,
            interactions_location=f"s3://{outputs['StagingBucket']}/raw/interactions/",
            role_arn=outputs["PersonalizeRoleArn"],
            progress=self.reporter.step,
        )

    def _save_periodically(self, save_now: bool) -> None:
        """Save right away after a first load, then every snapshot_interval seconds."""
        while save_now or not self._stop_saving.wait(self.options.snapshot_interval):
            save_now = False
            try:
                assert self.provisioner is not None and self.clients is not None
                self.snapshot.save(self.provisioner, self.clients)
            except Exception:
                log.exception("saving the store's state failed")

    def warm_functions(self) -> None:
        """Start one worker per API function in the background, so first requests are fast."""
        for runtime in self.servers.runtimes.values():
            if any(event.get("Type") == "Api" for event in runtime.spec.events.values()):
                threading.Thread(target=runtime.warm, name=f"warm:{runtime.spec.name}", daemon=True).start()


def web_archive(web_dir: Path | None) -> bytes:
    """The built web UI as the zip the WebSource parameter names (an explanatory page when not built)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if web_dir is not None and (web_dir / "index.html").is_file():
            for path in sorted(web_dir.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(web_dir).as_posix())
        else:
            archive.writestr(
                "index.html", "<!doctype html><title>AllStore</title><p>The web UI was not built.</p>"
            )
    return buffer.getvalue()
