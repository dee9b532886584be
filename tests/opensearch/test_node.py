"""The launcher's node: the engine the template deploys, on the loopback interface only, with the modules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from opensearchpy import OpenSearch

from allstore.local.opensearch_node import VERSION, OpenSearchNode, jvm_options


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test node's URL
        return json.load(response)


def test_node_runs_the_chosen_version_green(opensearch_url):
    root = get(opensearch_url)
    assert root["version"]["distribution"] == "opensearch"
    assert root["version"]["number"] == VERSION
    assert get(f"{opensearch_url}/_cluster/health")["status"] == "green"


def test_http_and_transport_listen_on_loopback_only(opensearch_url):
    (node,) = get(f"{opensearch_url}/_nodes/http,transport")["nodes"].values()
    for section in ("http", "transport"):
        addresses = node[section]["bound_address"] + [node[section]["publish_address"]]
        assert addresses and all(address.startswith(("127.0.0.1:", "[::1]:")) for address in addresses)


def test_modules_are_loaded_and_no_security_plugin(opensearch_url):
    (node,) = get(f"{opensearch_url}/_nodes/plugins")["nodes"].values()
    assert {module["name"] for module in node["modules"]} == {
        "analysis-common",
        "lang-painless",
        "transport-netty4",
    }
    assert node["plugins"] == []


def test_analysis_common_and_painless_work(opensearch_url):
    client = OpenSearch(hosts=[opensearch_url], timeout=10)
    analyzed = client.indices.analyze(
        body={"tokenizer": "standard", "filter": ["lowercase", "porter_stem"], "text": "Running Shoes"}
    )
    assert [token["token"] for token in analyzed["tokens"]] == ["run", "shoe"]
    executed = client.transport.perform_request(
        "POST",
        "/_scripts/painless/_execute",
        body={"script": {"source": "params.a * 2", "params": {"a": 21}}},
    )
    assert executed["result"] == "42"


def test_a_second_node_in_the_same_folder_is_refused(opensearch_node):
    try:
        OpenSearchNode(opensearch_node.node_dir).start()
    except RuntimeError as error:
        assert "already runs" in str(error)
    else:
        raise AssertionError("a second node started in the same folder")


def test_jvm_options_follow_the_java_version_prefixes(tmp_path):
    options = tmp_path / "jvm.options"
    options.write_text("# comment\n-Xms1g\n17:-Da=17\n21-:-Db=${X}\n11-17:-Dc\n\n")
    assert jvm_options(options, 17, {"X": "x"}) == ["-Xms1g", "-Da=17", "-Dc"]
    assert jvm_options(options, 25, {"X": "x"}) == ["-Xms1g", "-Db=x"]


def test_a_node_started_with_its_process_stops_when_that_process_is_killed():
    node_dir = Path(tempfile.mkdtemp(prefix="allstore-opensearch-orphan-"))
    starter = subprocess.Popen(  # a store or test session that started a node, then died
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from allstore.local.opensearch_node import OpenSearchNode; "
            "print(OpenSearchNode(Path(sys.argv[1])).start(say=lambda m: None, with_this_process=True), flush=True); "
            "input()",
            str(node_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout.readline().startswith("http://127.0.0.1:")
        node = OpenSearchNode(node_dir)
        assert node.running() is not None
        starter.kill()
        starter.wait()
        deadline = time.monotonic() + 60
        while node.running() is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert node.running() is None
    finally:
        starter.kill()
        OpenSearchNode(node_dir).stop()
        shutil.rmtree(node_dir, ignore_errors=True)
