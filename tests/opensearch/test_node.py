"""The launcher's node: the engine the template deploys, on the loopback interface only, with the modules."""

from __future__ import annotations

import json
import urllib.request

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
