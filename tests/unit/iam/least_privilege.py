"""Least privilege proven by use: every AWS call a function or a notebook makes in the tests is
checked against its role, with the resource ARN the call touches.

The calls are seen where they are made (allstore/local/aws_call_log.py): a botocore
`before-parameter-build` hook gives each call's service, operation and parameters, and a hook on
opensearch-py gives each search request's method and path (the handlers sign them for `es:ESHttp*`
on AWS). In the test process the caller is found on the Python stack — a handler
(`functions/<kind>/<name>/app.py`, mapped to its template function by CodeUri), or the local
store's Personalize bootstrap, which acts as the notebooks do — and a thread started by a handler
(s3transfer's, the set-up function's shard pool) calls as that handler; a notebook kernel marks its
whole process as the notebook (`install(caller=...)`). The local store's function workers record
their calls to files (`WorkerLogs` reads them). Calls made by test code itself are not checked.

The role's policies are template.yaml's after the SAM transform, resolved with the caller's own
resource names: bound from the function's environment (ITEMS_TABLE → ItemsTable), its name
(`${ProjectName}-setup` → ProjectName) and, for a custom resource's request, from its properties
matched against the template's (`Source: !Ref ProductSource`, `To: s3://${StagingBucket}/...`), i.e.
the names the resources would have in a stack that sent this request. moto's policy evaluator
(`IAMPolicy.is_action_permitted`) matches the ARNs and wildcards, and the StringEquals conditions on
the keys given (`iam:PassedToService`, `iam:AWSServiceName`).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from allstore.local import aws_call_log
from allstore.local.aws import ACCOUNT_ID, REGION

REPOSITORY = Path(__file__).resolve().parents[3]
NOTEBOOK_ROLE = "NotebookRole"
BOOTSTRAP = REPOSITORY / "allstore" / "local" / "personalize_bootstrap.py"
_HANDLER = re.compile(r".*/functions/(.+/)?app\.py$")  # a template function's code folder holds it
PREFIXES = {"personalize-runtime": "personalize", "personalize-events": "personalize"}
ACTIONS = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("apigateway", "GetAccount"): "apigateway:GET",
}
# Service-linked roles live under /aws-service-role/<service>/; GetRole names only the role.
SERVICE_LINKED_ROLES = {"opensearchservice.amazonaws.com": "AWSServiceRoleForAmazonOpenSearchService"}
# A shard of Custom::ProductData (functions/setup) carries its request's properties under these names.
SHARD_PROPERTIES = {
    "source": "Source",
    "interaction_source": "InteractionSource",
    "review_source": "ReviewSource",
    "table_name": "TableName",
}


@dataclass(frozen=True)
class Call:
    caller: str  # the template's function logical id, or NotebookRole
    service: str
    operation: str
    params: dict[str, Any]
    region: str


@dataclass(frozen=True)
class Need:
    """One authorisation IAM makes for a call: an action on a resource, with the condition keys it sets."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


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


def _role_arn(name: str) -> str:
    linked = {role: service for service, role in SERVICE_LINKED_ROLES.items()}
    path = f"aws-service-role/{linked[name]}/" if name in linked else ""
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{path}{name}"


def _iam(call: Call) -> list[str]:
    return [_role_arn(call.params["RoleName"])]


def _apigateway(call: Call) -> list[str]:
    if call.operation in {"GetAccount", "UpdateAccount"}:
        return [f"arn:aws:apigateway:{call.region}::/account"]
    raise KeyError(call.operation)


def _ec2(call: Call) -> list[str]:
    if call.operation.startswith("Describe"):  # EC2's Describe* actions take no resource
        return ["*"]
    raise KeyError(call.operation)


def _es(call: Call) -> list[str]:
    """A search request: the domain (bound by `missing` from the function's SEARCH_ENDPOINT) and path."""
    return [_arn("es", call.region, f"domain/{call.params['domain']}{call.params['path']}")]


RESOURCES: dict[str, Callable[[Call], list[str]]] = {
    "lambda": _lambda,
    "personalize": _personalize,
    "personalize-runtime": _personalize,
    "personalize-events": _personalize,
    "s3": _s3,
    "dynamodb": _dynamodb,
    "ssm": _ssm,
    "kinesis": _kinesis,
    "iam": _iam,
    "apigateway": _apigateway,
    "ec2": _ec2,
    "es": _es,
}


def resources(call: Call) -> list[str]:
    """The resource ARNs IAM checks for `call` (KeyError when there is no rule for it)."""
    return RESOURCES[call.service](call)


def action(call: Call) -> str:
    if call.service == "es":  # es:ESHttpGet, es:ESHttpPost, ...
        return f"es:ESHttp{call.operation.title()}"
    return (
        ACTIONS.get((call.service, call.operation))
        or f"{PREFIXES.get(call.service, call.service)}:{call.operation}"
    )


def _copy_needs(call: Call) -> list[Need]:
    source = call.params["CopySource"]
    if isinstance(source, str):
        bucket, _, key = source.lstrip("/").split("?", 1)[0].partition("/")
        source = {"Bucket": bucket, "Key": key}
    return [
        Need("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"),
        Need("s3:PutObject", _s3(call)[0]),
    ]


def _delete_objects_needs(call: Call) -> list[Need]:
    bucket = call.params["Bucket"]
    return [
        Need("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{o['Key']}") for o in call.params["Delete"]["Objects"]
    ]


def _update_account_needs(call: Call) -> list[Need]:
    """PATCH on the account settings, and iam:PassRole for a CloudWatch role it hands API Gateway."""
    needs = [Need("apigateway:PATCH", _apigateway(call)[0])]
    for operation in call.params.get("patchOperations", []):
        if operation.get("path") == "/cloudwatchRoleArn" and operation.get("value"):
            needs.append(
                Need("iam:PassRole", operation["value"], {"iam:PassedToService": "apigateway.amazonaws.com"})
            )
    return needs


def _linked_role_needs(call: Call) -> list[Need]:
    service = call.params["AWSServiceName"]
    role = SERVICE_LINKED_ROLES.get(service)
    if role is None:
        raise KeyError(service)
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/{role}"
    return [Need("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": service})]


NEEDS: dict[tuple[str, str], Callable[[Call], list[Need]]] = {
    ("s3", "CopyObject"): _copy_needs,
    ("s3", "UploadPartCopy"): _copy_needs,
    ("s3", "DeleteObjects"): _delete_objects_needs,
    ("apigateway", "UpdateAccount"): _update_account_needs,
    ("iam", "CreateServiceLinkedRole"): _linked_role_needs,
}


def needs(call: Call) -> list[Need]:
    """What IAM authorises for `call` (KeyError when there is no rule for it)."""
    special = NEEDS.get((call.service, call.operation))
    if special is not None:
        return special(call)
    return [Need(action(call), resource) for resource in resources(call)]


# ---------------------------------------------------------------- the caller's role and names

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


def _sub_patterns(text: str, local: set[str]) -> tuple[str, str, dict[str, str]]:
    """Regular expressions for the values `Fn::Sub` `text` yields — whole, and through the character
    after its last placeholder (so `s3://${Bucket}/data/` binds Bucket whatever the key) — and
    the logical id or parameter each group names. A placeholder's value has no `/` or `:`."""
    from tests.unit.iam.template_policies import STACK

    pattern, groups, position = "", {}, 0
    for match in _SUB_VARIABLE.finditer(text):
        pattern += re.escape(text[position : match.start()])
        name = match.group(1)
        if name in _PSEUDO or name == "AWS::StackName":
            pattern += re.escape(_PSEUDO.get(name, STACK))
        elif "." in name or name in local:
            pattern += ".+?"
        else:
            group = f"g{len(groups)}"
            groups[group] = name
            pattern += f"(?P<{group}>[^/:]+?)"
        position = match.end()
    rest = text[position:]
    return pattern + re.escape(rest) + "$", pattern + (re.escape(rest[:1]) or "$"), groups


def bind(template: Any, actual: Any, names: dict[str, str]) -> None:
    """Add to `names` the logical ids and parameters `template` (a template value) names with
    `actual` (the value it took): `Ref`s, `Fn::Sub` placeholders and `Fn::GetAtt X.Arn`."""
    from tests.unit.iam.template_policies import arn_pattern

    function = next(iter(template)) if isinstance(template, dict) and len(template) == 1 else ""
    if function == "Ref" or function.startswith("Fn::"):
        argument = template[function]
        if not isinstance(actual, str):
            return
        if function == "Ref" and not argument.startswith("AWS::"):
            names.setdefault(argument, actual)
            return
        if function == "Fn::Sub":
            text, local = (argument, set()) if isinstance(argument, str) else (argument[0], set(argument[1]))
            whole, prefix, groups = _sub_patterns(text, local)
            found = re.match(whole, actual) or re.match(prefix, actual)
            for group, name in groups.items() if found else ():
                names.setdefault(name, found.group(group))
            return
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            found = re.fullmatch(arn_pattern(logical_id), actual) if attribute == "Arn" else None
            if found:
                names.setdefault(logical_id, found.group("name"))
        return
    if isinstance(template, dict) and isinstance(actual, dict):
        for key, value in template.items():
            if key in actual:
                bind(value, actual[key], names)
    elif isinstance(template, list) and isinstance(actual, list):
        for value, taken in zip(template, actual, strict=False):
            bind(value, taken, names)


@cache
def _function_layout() -> tuple[dict[str, str], dict[str, str]]:
    """(code folder → function logical id, function → role)."""
    from allstore.local.template import load_template
    from tests.unit.iam.template_policies import function_roles

    code_dirs = {
        str((REPOSITORY / r["Properties"]["CodeUri"]).resolve()): logical_id
        for logical_id, r in load_template()["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    return code_dirs, function_roles()


def _custom_resource_properties(caller: str, event: Any) -> tuple[Any, Any] | None:
    """(template properties, request properties) of the custom resource a request to `caller` is for."""
    from tests.unit.iam.template_policies import transformed_template

    if not isinstance(event, dict):
        return None
    shard = event.get("AllStoreShard")
    if isinstance(shard, dict):
        event = {
            "ResourceType": "Custom::ProductData",
            "ResourceProperties": {SHARD_PROPERTIES[k]: v for k, v in shard.items() if k in SHARD_PROPERTIES},
        }
    resource_type = event.get("ResourceType")
    for resource in transformed_template()["Resources"].values():
        properties = resource.get("Properties", {})
        token = properties.get("ServiceToken", {}).get("Fn::GetAtt") if isinstance(properties, dict) else None
        if isinstance(token, str):
            token = token.split(".")
        if resource["Type"] == resource_type and token and token[0] == caller:
            return properties, event.get("ResourceProperties") or {}
    return None


def names_of(caller: str, environment: dict[str, str], event: Any = None) -> dict[str, str]:
    """The caller's resource names and parameters as the template names them (logical id → value)."""
    from tests.unit.iam.template_policies import transformed_template

    names: dict[str, str] = {}
    if caller == NOTEBOOK_ROLE:
        return names
    function = transformed_template()["Resources"][caller]["Properties"]
    bind(function.get("Environment", {}).get("Variables", {}), environment, names)
    if "FunctionName" in function and environment.get("AWS_LAMBDA_FUNCTION_NAME"):
        bind(function["FunctionName"], environment["AWS_LAMBDA_FUNCTION_NAME"], names)
    request = _custom_resource_properties(caller, event)
    if request is not None:
        bind(*request, names)
    return names


def _search_domain(caller: str, environment: dict[str, str], host: str) -> str | None:
    """The logical id of the search domain the caller's environment points at `host`, if any."""
    from tests.unit.iam.template_policies import transformed_template

    function = transformed_template()["Resources"][caller]["Properties"]
    for variable, value in function.get("Environment", {}).get("Variables", {}).items():
        text = value.get("Fn::Sub") if isinstance(value, dict) else None
        found = _SUB_VARIABLE.search(text) if isinstance(text, str) else None
        if found and found.group(1).endswith(".DomainEndpoint") and variable in environment:
            configured = urlsplit(environment[variable])
            if f"{configured.hostname}:{configured.port}" == host:
                return found.group(1).split(".", 1)[0]
    return None


@cache
def _policies(role: str, names: tuple[tuple[str, str], ...]) -> list[Any]:
    from moto.iam.access_control import IAMPolicy

    if role in _PRELOADED and not names:
        documents = _PRELOADED[role]
    else:
        from tests.unit.iam.template_policies import role_policies

        documents = [policy.document for policy in role_policies(dict(names))[role]]
    return [IAMPolicy(json.dumps(document)) for document in documents]


_PRELOADED: dict[str, list[dict[str, Any]]] = {}  # role → policy documents, given to a notebook kernel


def missing(call: Call, environment: dict[str, str], event: Any = None) -> str | None:
    """Why the caller's role would refuse `call`, or None when everything it needs is allowed.
    `event`: the invocation in progress (a custom resource's request names its resources)."""
    from moto.iam.access_control import PermissionResult

    from tests.unit.iam.template_policies import physical_name

    role = NOTEBOOK_ROLE if call.caller == NOTEBOOK_ROLE else _function_layout()[1][call.caller]
    names = names_of(call.caller, environment, event)
    if call.service == "es":
        domain = _search_domain(call.caller, environment, call.params["host"])
        if domain is None:
            return (
                f"{call.caller} sent {call.operation} {call.params['path']} to {call.params['host']}, "
                "which is not a search domain its environment names"
            )
        call = Call(
            call.caller,
            "es",
            call.operation,
            {**call.params, "domain": physical_name(domain, names)},
            call.region,
        )
    try:
        wanted = needs(call)
    except KeyError:
        return f"{call.service}:{call.operation} by {call.caller}: no rule for its resource ARN in {__name__}"
    policies = _policies(role, tuple(sorted(names.items())))
    refused = []
    for need in wanted:
        results = [
            policy.is_action_permitted(need.action, need.resource, incoming_condition_values=need.context)
            for policy in policies
        ]
        if PermissionResult.DENIED in results or PermissionResult.PERMITTED not in results:
            refused.append(f"{need.action} on {need.resource}")
    if not refused:
        return None
    return f"{call.caller} called {call.service}.{call.operation}: role {role} does not allow {', '.join(refused)}"


# ---------------------------------------------------------------- recording in the test process


def context_of(frame: Any) -> tuple[str, Any] | None:
    """(function logical id or notebook role, the invocation's event) on whose behalf the code at
    `frame` runs, if any; in a thread a handler started, the handler's."""
    code_dirs = _function_layout()[0]
    caller = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if caller is None and filename == str(BOOTSTRAP):
            return NOTEBOOK_ROLE, None
        if _HANDLER.match(filename):
            caller = caller or code_dirs.get(str(Path(filename).parent.resolve()))
            if frame.f_code.co_name == "lambda_handler":
                return caller, frame.f_locals.get("event")
        frame = frame.f_back
    if caller is not None:
        return caller, None
    return getattr(threading.current_thread(), "_least_privilege_context", None)


class Recorder:
    """Checks every call made in this process; keeps what was refused."""

    def __init__(self, caller: str | None = None, log: Path | None = None) -> None:
        self.caller = caller  # a fixed caller for the whole process (a notebook kernel), else the stack's
        self.log = log  # where a kernel reports what was refused, for the test process to read
        self.refused: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def record(self, service: str, operation: str, params: dict[str, Any], region: str) -> None:
        context = (self.caller, None) if self.caller else context_of(sys._getframe(1))
        if context is None:
            return
        caller, event = context
        problem = missing(Call(caller, service, operation, dict(params), region), dict(os.environ), event)
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
    """Check every AWS call made from now on in this process; threads started by a handler call as it."""
    recorder = Recorder(caller, log)
    aws_call_log.on_every_call(recorder.record)
    if caller is None:
        start = threading.Thread.start

        def starting(thread: threading.Thread) -> None:
            thread._least_privilege_context = context_of(sys._getframe(1))  # type: ignore[attr-defined]
            start(thread)

        threading.Thread.start = starting  # type: ignore[method-assign]
    return recorder


# ---------------------------------------------------------------- the local store's function workers


@dataclass
class _WorkerFile:
    offset: int = 0
    caller: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    event: Any = None


class WorkerLogs:
    """The calls the store's function workers recorded in `directory` (aws_call_log), checked as read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.checked = 0
        self._files: dict[Path, _WorkerFile] = {}

    def refusals(self) -> list[str]:
        """What the workers' roles would have refused since the last call."""
        refused = []
        for path in sorted(self.directory.glob("*.jsonl")):
            state = self._files.setdefault(path, _WorkerFile())
            with open(path, "rb") as log:
                log.seek(state.offset)
                data = log.read()
            complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
            state.offset += len(complete)
            for line in complete.splitlines():
                problem = self._check(state, json.loads(line))
                if problem:
                    refused.append(problem)
        return refused

    def _check(self, state: _WorkerFile, record: dict[str, Any]) -> str | None:
        if "code" in record:  # a function outside the template (a test's own) is not checked
            state.caller = _function_layout()[0].get(str(Path(record["code"]).resolve()))
            state.environment = record["environment"]
            return None
        if "event" in record:
            state.event = record["event"]
            return None
        if state.caller is None:
            return None
        self.checked += 1
        call = Call(state.caller, record["service"], record["operation"], record["params"], record["region"])
        return missing(call, state.environment, state.event)


def start_worker_logs(directory: Path) -> WorkerLogs:
    """Make the store's function workers started from now on record their calls into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[aws_call_log.VARIABLE] = str(directory)
    return WorkerLogs(directory)


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
