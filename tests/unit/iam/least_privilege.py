"""Least privilege proven by use: every AWS call a function or a notebook makes in the tests is
checked against its role, with the resource ARN the call touches.

A botocore `before-parameter-build` hook on every client sees each call's service, operation and
parameters. The caller is found on the Python stack: a handler (`functions/<kind>/<name>/app.py`,
mapped to its template function by CodeUri) or the local store's Personalize bootstrap, which acts
as the workshop notebooks do; a notebook kernel marks its whole process as the notebook (see
`install(caller=...)`). Calls made by test code itself are not checked. The role's policies are
template.yaml's after the SAM transform, resolved with the caller's own resource names (bound from
the function's environment, e.g. ITEMS_TABLE → ItemsTable), and evaluated by moto's policy
evaluator (`IAMPolicy.is_action_permitted`), which matches ARNs and wildcards.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.client

from allstore.local.aws import ACCOUNT_ID

REPOSITORY = Path(__file__).resolve().parents[3]
NOTEBOOK_ROLE = "NotebookRole"
BOOTSTRAP = REPOSITORY / "allstore" / "local" / "personalize_bootstrap.py"
_HANDLER = re.compile(r".*/functions/(api|streaming|setup)/([^/]+)/app\.py$")
# The set-up function's resources come from its custom-resource events, not its environment, so its
# names cannot be bound here: its calls are left to tests/unit/setup.
UNCHECKED_FUNCTIONS = {"SetupFunction"}
PREFIXES = {"personalize-runtime": "personalize", "personalize-events": "personalize"}
ACTIONS = {("s3", "ListObjectsV2"): "s3:ListBucket", ("s3", "HeadObject"): "s3:GetObject"}


@dataclass(frozen=True)
class Call:
    caller: str  # the template's function logical id, or NotebookRole
    service: str
    operation: str
    params: dict[str, Any]
    region: str


# ---------------------------------------------------------------- which resource a call touches


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _personalize(call: Call) -> list[str]:
    params, op = call.params, call.operation
    named = {
        "CreateSchema": "schema",
        "CreateDatasetGroup": "dataset-group",
        "CreateSolution": "solution",
        "CreateCampaign": "campaign",
        "CreateFilter": "filter",
    }
    if op in named:
        return [_arn("personalize", call.region, f"{named[op]}/{params['name']}")]
    if op == "CreateDataset":
        group = params["datasetGroupArn"].rsplit("/", 1)[1]
        return [_arn("personalize", call.region, f"dataset/{group}/{params['datasetType'].upper()}")]
    if op == "CreateDatasetImportJob":
        return [_arn("personalize", call.region, f"dataset-import-job/{params['jobName']}")]
    if op == "CreateEventTracker":  # the service makes up the id; any id of the account and region
        return [_arn("personalize", call.region, "event-tracker/new")]
    if op.startswith("List") or op == "PutEvents":
        return ["*"]
    arns = [value for key, value in params.items() if key.endswith("Arn") and key != "roleArn"]
    if not arns:
        raise KeyError(op)
    return arns


def _s3(call: Call) -> list[str]:
    bucket = call.params["Bucket"]
    return [
        f"arn:aws:s3:::{bucket}/{call.params['Key']}" if "Key" in call.params else f"arn:aws:s3:::{bucket}"
    ]


def _dynamodb(call: Call) -> list[str]:
    params = call.params
    tables = list(params["RequestItems"]) if "RequestItems" in params else [params["TableName"]]
    suffix = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
    return [_arn("dynamodb", call.region, f"table/{table}{suffix}") for table in tables]


def _ssm(call: Call) -> list[str]:
    name = call.params["Name"]
    return [_arn("ssm", call.region, f"parameter{name if name.startswith('/') else '/' + name}")]


def _kinesis(call: Call) -> list[str]:
    if "StreamARN" in call.params:
        return [call.params["StreamARN"]]
    return [_arn("kinesis", call.region, f"stream/{call.params['StreamName']}")]


def _lambda(call: Call) -> list[str]:
    function = call.params["FunctionName"]
    return [function if function.startswith("arn:") else _arn("lambda", call.region, f"function:{function}")]


RESOURCES: dict[str, Callable[[Call], list[str]]] = {
    "lambda": _lambda,
    "personalize": _personalize,
    "personalize-runtime": _personalize,
    "personalize-events": _personalize,
    "s3": _s3,
    "dynamodb": _dynamodb,
    "ssm": _ssm,
    "kinesis": _kinesis,
}


def resources(call: Call) -> list[str]:
    """The resource ARNs IAM checks for `call` (KeyError when there is no rule for it)."""
    return RESOURCES[call.service](call)


def action(call: Call) -> str:
    return (
        ACTIONS.get((call.service, call.operation))
        or f"{PREFIXES.get(call.service, call.service)}:{call.operation}"
    )


# ---------------------------------------------------------------- the caller's role


@cache
def _function_layout() -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]:
    """(code folder → function logical id, function → role, function → {variable: logical id it names})."""
    from allstore.local.template import load_template
    from tests.unit.iam.template_policies import function_roles, transformed_template

    code_dirs = {
        str((REPOSITORY / r["Properties"]["CodeUri"]).resolve()): logical_id
        for logical_id, r in load_template()["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    bound = {}
    for logical_id, resource in transformed_template()["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            bound[logical_id] = {
                name: value["Ref"]
                for name, value in variables.items()
                if isinstance(value, dict) and "Ref" in value
            }
    return code_dirs, function_roles(), bound


def caller_of(frame: Any) -> str | None:
    """The function (logical id) or notebook on whose behalf the code at `frame` runs, if any."""
    code_dirs = _function_layout()[0]
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == str(BOOTSTRAP):
            return NOTEBOOK_ROLE
        if _HANDLER.match(filename):
            return code_dirs.get(str(Path(filename).parent.resolve()))
        frame = frame.f_back
    return None


_PRELOADED: dict[str, list[dict[str, Any]]] = {}  # role → policy documents, given to a notebook kernel


@cache
def _policies(role: str, names: tuple[tuple[str, str], ...]) -> list[Any]:
    from moto.iam.access_control import IAMPolicy

    if role in _PRELOADED and not names:
        documents = _PRELOADED[role]
    else:
        from tests.unit.iam.template_policies import role_policies

        documents = [policy.document for policy in role_policies(dict(names))[role]]
    return [IAMPolicy(json.dumps(document)) for document in documents]


def _role_and_names(caller: str, environment: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    if caller == NOTEBOOK_ROLE:
        return NOTEBOOK_ROLE, ()
    _, roles, bound = _function_layout()
    names = tuple(
        sorted((logical, environment[var]) for var, logical in bound[caller].items() if var in environment)
    )
    return roles[caller], names


def missing(call: Call, environment: dict[str, str]) -> str | None:
    """Why the caller's role would refuse `call`, or None when every resource it touches is allowed."""
    from moto.iam.access_control import PermissionResult

    role, names = _role_and_names(call.caller, environment)
    try:
        touched = resources(call)
    except KeyError:
        return f"{call.service}:{call.operation} by {call.caller}: no rule for its resource ARN in {__name__}"
    wanted = action(call)
    refused = []
    for resource in touched:
        results = [policy.is_action_permitted(wanted, resource) for policy in _policies(role, names)]
        if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
            refused.append(resource)
    if not refused:
        return None
    return f"{call.caller} called {call.service}.{call.operation}: role {role} does not allow {wanted} on {', '.join(refused)}"


# ---------------------------------------------------------------- recording


class Recorder:
    """Checks every call made through botocore in this process; keeps what was refused."""

    def __init__(self, caller: str | None = None, log: Path | None = None) -> None:
        self.caller = caller  # a fixed caller for the whole process (a notebook kernel), else the stack's
        self.log = log  # where a kernel reports what was refused, for the test process to read
        self.refused: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def record(self, region: str, params: dict[str, Any], model: Any) -> None:
        caller = self.caller or caller_of(sys._getframe(2))
        if caller is None or caller in UNCHECKED_FUNCTIONS:
            return
        call = Call(caller, model.service_model.service_name, model.name, dict(params), region)
        problem = missing(call, dict(os.environ))
        with self._lock:
            self.checked += 1
            if problem:
                self.refused.append(problem)
                if self.log is not None:
                    with open(self.log, "a", encoding="utf-8") as out:
                        out.write(json.dumps(problem) + "\n")

    def take(self) -> list[str]:
        """What was refused since the last take."""
        with self._lock:
            refused, self.refused = self.refused, []
        return refused


def install(caller: str | None = None, log: Path | None = None) -> Recorder:
    """Check every call of every botocore client created from now on in this process."""
    recorder = Recorder(caller, log)
    original = botocore.client.ClientCreator.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        region = client.meta.region_name

        def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
            recorder.record(region, params, model)

        client.meta.events.register("before-parameter-build", hook)
        return client

    botocore.client.ClientCreator.create_client = create_client
    return recorder


# ---------------------------------------------------------------- notebook kernels

_KERNEL_LOGS: list[Path] = []
_KERNEL_STARTUP = """# Written by tests/unit/iam/least_privilege.py: check this kernel's AWS calls against the notebook role.
import json, sys
sys.path.insert(0, {repository!r})
from tests.unit.iam import least_privilege
least_privilege._PRELOADED[least_privilege.NOTEBOOK_ROLE] = json.loads({documents!r})
least_privilege.install(least_privilege.NOTEBOOK_ROLE, __import__("pathlib").Path({log!r}))
"""


def prepare_kernels(ipython_dir: Path) -> None:
    """Make every IPython kernel started with IPYTHONDIR=`ipython_dir` check its calls as the notebook
    role's (an IPython startup file); what it refuses is reported by `kernel_refusals`."""
    from tests.unit.iam.template_policies import role_policies

    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    log = ipython_dir / "least-privilege.jsonl"
    documents = json.dumps([policy.document for policy in role_policies()[NOTEBOOK_ROLE]])
    (startup / "00-least-privilege.py").write_text(
        _KERNEL_STARTUP.format(repository=str(REPOSITORY), documents=documents, log=str(log)),
        encoding="utf-8",
    )
    _KERNEL_LOGS.append(log)


def kernel_refusals() -> list[str]:
    """What the prepared kernels refused since the last call."""
    refused = []
    for log in _KERNEL_LOGS:
        if log.is_file():
            refused += [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
            log.write_text("", encoding="utf-8")
    return refused
