"""Benchmark the catalogue load of the set-up function: items per second with 1 and with N shards.

A synthetic store (`allstore.data.synthetic`, UCSD 2018 products JSON lines, gzipped, plus
Personalize-style interactions for the popularity counts) is uploaded to a local S3, and a
`Custom::ProductData` Create request is sent to the real set-up handler, which writes the Items
table (with both GSIs) in a local DynamoDB: the local store's moto server (with its fast paths) on
127.0.0.1, in a process of its own so the loaders do not share its interpreter. Each extra shard runs, as on Lambda, in a
separate process (a subprocess of this script stands in for the synchronous self-invoke), so the
shards really run in parallel as far as the machine's cores allow. The time is from the request to
CloudFormation's answer (a recording server on 127.0.0.1).

    .venv/bin/python benchmarks/setup_load.py [--products 300000] [--interactions 300000] [--shards 1 4]
        [--timeout 900]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from allstore.credentials import StoreCredentials
from allstore.local.aws import MotoServer, free_port
from allstore.loopback import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
SETUP_CODE = ROOT / "functions" / "setup"
REGION = "us-east-1"
BUCKET = "benchmark-data"
TABLE = "Items"
CREDENTIALS = StoreCredentials.generate()  # moto, in its own process, accepts only this key
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:benchmark-setup"


class Context:
    function_name = "benchmark-setup"
    memory_limit_in_mb = 1024
    invoked_function_arn = FUNCTION_ARN
    aws_request_id = "benchmark"

    def __init__(self, timeout_seconds: float = 900.0) -> None:
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def _environment(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        **CREDENTIALS.environment(),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "setup",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "LOG_LEVEL": "WARNING",
    }


def _serve_moto(port: int, credentials: StoreCredentials) -> None:
    MotoServer(credentials, port).start()
    threading.Event().wait()


def _wait_for(port: int, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"moto server on port {port} did not start")


class SubprocessLambda:
    """The shard invocations: each runs the real handler in a fresh Python process, like a Lambda."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, __file__, "--run-shard"],
            input=Payload,
            capture_output=True,
            env=self.environment,
            check=False,
        )
        if result.returncode != 0:
            error = {"errorMessage": result.stderr.decode(errors="replace")[-2000:], "errorType": "Crash"}
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(error).encode()),
            }
        last_line = result.stdout.decode().strip().splitlines()[-1]
        return {"StatusCode": 200, "Payload": io.BytesIO(last_line.encode())}


def _run_shard() -> None:
    """`--run-shard`: one shard invocation, payload on stdin, answer as the last stdout line."""
    from allstore.local.lambda_code import load_handler

    handler = load_handler(SETUP_CODE)
    print(json.dumps(handler(json.loads(sys.stdin.buffer.read()), Context())))


ANSWERS: list[dict[str, Any]] = []


def _receive_answer(method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict, bytes]:
    ANSWERS.append(json.loads(body))
    return 200, {}, b""


def _create_items_table(dynamodb: Any) -> None:
    with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.delete_table(TableName=TABLE)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in (
                ("asin", "S"),
                ("category", "S"),
                ("popularityGroup", "S"),
                ("popularity", "N"),
            )
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": "popularity", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, hash_key in (("category-index", "category"), ("popular-index", "popularityGroup"))
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=300_000)
    parser.add_argument("--interactions", type=int, default=300_000)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="the set-up function's time limit in seconds (Lambda's maximum, 900, by default); a load "
        "that cannot finish in it is answered FAILED, as on AWS",
    )
    args = parser.parse_args()

    port = free_port()
    moto = multiprocessing.get_context("spawn").Process(
        target=_serve_moto, args=(port, CREDENTIALS), daemon=True
    )
    moto.start()
    answers = LoopbackServer(_receive_answer, name="cfn-answers")
    answers.start()
    try:
        _wait_for(port)
        endpoint = f"http://127.0.0.1:{port}"
        environment = _environment(endpoint)
        os.environ.update(environment)

        import boto3

        from allstore.data import synthetic
        from allstore.local.lambda_code import load_handler

        started = time.perf_counter()
        store = synthetic.generate_store(items=args.products, interactions=args.interactions)
        with tempfile.TemporaryDirectory() as folder:
            paths = synthetic.write_store(store, folder)
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket=BUCKET)
            s3.upload_file(str(paths[synthetic.PRODUCTS_FILE]), BUCKET, synthetic.PRODUCTS_FILE)
            s3.upload_file(str(paths[synthetic.INTERACTIONS_FILE]), BUCKET, synthetic.INTERACTIONS_FILE)
        print(
            f"catalogue: {args.products:,} products, {args.interactions:,} interactions "
            f"(generated and uploaded in {time.perf_counter() - started:.1f} s)"
        )

        dynamodb = boto3.client("dynamodb")
        for shards in args.shards:
            _create_items_table(dynamodb)
            handler = load_handler(SETUP_CODE)
            inspect.unwrap(handler).__globals__["lambda_client"] = SubprocessLambda(environment)
            event = {
                "RequestType": "Create",
                "ResponseURL": f"{answers.url}/answer",
                "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/benchmark/1",
                "RequestId": f"shards-{shards}",
                "LogicalResourceId": "InitItemTable",
                "ResourceType": "Custom::ProductData",
                "ResourceProperties": {
                    "Source": f"s3://{BUCKET}/{synthetic.PRODUCTS_FILE}",
                    "InteractionSource": f"s3://{BUCKET}/{synthetic.INTERACTIONS_FILE}",
                    "TableName": TABLE,
                    "Shards": shards,
                },
            }
            started = time.perf_counter()
            handler(event, Context(args.timeout))
            seconds = time.perf_counter() - started
            answer = ANSWERS[-1]
            if answer["Status"] != "SUCCESS":
                raise SystemExit(f"{shards} shard(s): FAILED: {answer['Reason']}")
            written = int(answer["Data"]["Written"])
            count = dynamodb.describe_table(TableName=TABLE)["Table"].get("ItemCount")
            print(
                f"{shards} shard(s): {written:,} items in {seconds:.1f} s = {written / seconds:,.0f} items/s "
                f"(table holds {count:,})"
            )
    finally:
        answers.stop()
        moto.terminate()
        moto.join()


if __name__ == "__main__":
    if sys.argv[1:] == ["--run-shard"]:
        _run_shard()
    else:
        main()
