"""Custom::UserData, Custom::S3Copy, Custom::WebAssets, and requests no resource type handles."""

from __future__ import annotations

import io
import zipfile

import boto3

from .conftest import DATA_BUCKET, REGION, STAGING_BUCKET, WEB_BUCKET, put_object


def _users() -> dict[str, dict]:
    table = boto3.resource("dynamodb", region_name=REGION).Table("Users")
    return {item["id"]: item for item in table.scan()["Items"]}


def _objects(bucket: str, prefix: str = "") -> dict[str, dict]:
    s3 = boto3.client("s3", region_name=REGION)
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key) for key in keys}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("assets/", b"")  # a directory entry, as `zip -r` writes them
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_unknown_resource_type_fails_and_its_delete_succeeds(setup_function):
    created = setup_function.request("Custom::Nope", {"Source": "s3://x/y"})
    deleted = setup_function.request(
        "Custom::Nope",
        {"Source": "s3://x/y"},
        request_type="Delete",
        physical_id=created["PhysicalResourceId"],
    )

    assert created["Status"] == "FAILED"
    assert "unknown resource type 'Custom::Nope'" in created["Reason"]
    assert "Custom::ProductData" in created["Reason"]
    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert setup_function.cloudformation.content_types == ["", ""]


def test_users_load_from_json_lines_with_default_names(setup_function):
    source = put_object(
        "users/users.jsonl",
        '{"id": "1", "firstName": "Ada", "lastName": "Lovelace"}\n{"id": "2"}\nnot json\n',
    )

    answer = setup_function.request("Custom::UserData", {"Source": source, "TableName": "Users"})

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {
        "Written": "2",
        "Repaired": "0",
        "Defaulted": "1",
        "Invalid": "0",
        "BadRows": "1",
    }
    users = _users()
    assert users["1"] == {"id": "1", "firstName": "Ada", "lastName": "Lovelace"}
    assert users["2"] == {"id": "2", "firstName": "Shopper", "lastName": "2"}


def test_users_load_from_csv(setup_function):
    source = put_object("users/users.csv", "USER_ID,FIRST_NAME,LAST_NAME,AGE\n7,Alan,Turing,41\n")

    answer = setup_function.request("Custom::UserData", {"Source": source, "TableName": "Users"})

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert _users() == {"7": {"id": "7", "firstName": "Alan", "lastName": "Turing", "AGE": "41"}}


def test_an_empty_user_source_means_no_users(setup_function):
    answer = setup_function.request("Custom::UserData", {"Source": "", "TableName": "Users"})

    assert answer["Status"] == "SUCCESS"
    assert answer["Data"]["Written"] == "0"
    assert _users() == {}


def test_a_user_file_without_ids_fails(setup_function):
    source = put_object("users/users.csv", "NAME,AGE\nAda,36\n")

    answer = setup_function.request("Custom::UserData", {"Source": source, "TableName": "Users"})

    assert answer["Status"] == "FAILED"
    assert "no users could be read" in answer["Reason"]
    assert "1 without an id" in answer["Reason"]


def test_s3_copy_copies_skips_empty_sources_and_deletes_on_delete(setup_function):
    items = put_object("raw/items.jsonl", "{}\n")
    interactions = put_object("raw/interactions.csv", "USER_ID,ITEM_ID\n")
    properties = {
        "Copies": [
            {"From": items, "To": f"s3://{STAGING_BUCKET}/data/items/"},
            {"From": "", "To": f"s3://{STAGING_BUCKET}/data/users/"},
            {"From": interactions, "To": f"s3://{STAGING_BUCKET}/data/interactions/"},
        ]
    }

    created = setup_function.request("Custom::S3Copy", properties)

    assert created["Status"] == "SUCCESS", created["Reason"]
    assert created["Data"] == {"Copied": "2"}
    assert set(_objects(STAGING_BUCKET)) == {"data/items/items.jsonl", "data/interactions/interactions.csv"}
    assert _objects(STAGING_BUCKET)["data/items/items.jsonl"]["Body"].read() == b"{}\n"

    deleted = setup_function.request(
        "Custom::S3Copy", properties, request_type="Delete", physical_id=created["PhysicalResourceId"]
    )

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert _objects(STAGING_BUCKET) == {}
    assert set(_objects(DATA_BUCKET)) == {"raw/items.jsonl", "raw/interactions.csv"}


def test_s3_copy_update_removes_copies_no_longer_listed(setup_function):
    items = put_object("raw/items.jsonl", "{}\n")
    users = put_object("raw/users.jsonl", "{}\n")
    old = {"Copies": [{"From": items, "To": f"s3://{STAGING_BUCKET}/data/"}]}
    new = {"Copies": [{"From": users, "To": f"s3://{STAGING_BUCKET}/data/"}]}
    created = setup_function.request("Custom::S3Copy", old)

    updated = setup_function.request(
        "Custom::S3Copy",
        new,
        request_type="Update",
        old_properties=old,
        physical_id=created["PhysicalResourceId"],
    )

    assert updated["Status"] == "SUCCESS", updated["Reason"]
    assert set(_objects(STAGING_BUCKET)) == {"data/users.jsonl"}


def test_s3_copy_of_a_missing_object_fails(setup_function):
    properties = {
        "Copies": [{"From": f"s3://{DATA_BUCKET}/missing.csv", "To": f"s3://{STAGING_BUCKET}/data/"}]
    }

    answer = setup_function.request("Custom::S3Copy", properties)

    assert answer["Status"] == "FAILED"
    assert f"copying s3://{DATA_BUCKET}/missing.csv" in answer["Reason"]


def test_web_assets_are_unpacked_with_content_types_and_stale_files_removed(setup_function):
    put_object("web/old-bundle.js", "stale", bucket=WEB_BUCKET)
    put_object("elsewhere.txt", "kept", bucket=WEB_BUCKET)
    source = put_object(
        "webui.zip",
        _zip(
            {
                "index.html": b"<!doctype html>",
                "assets/app-1a2b.js": b"console.log(1)",
                "assets/app-1a2b.css": b"body{}",
                "favicon.svg": b"<svg/>",
                "assets/font.woff2": b"\x00",
            }
        ),
    )
    properties = {"Source": source, "Bucket": WEB_BUCKET, "Prefix": "web"}

    created = setup_function.request("Custom::WebAssets", properties)

    assert created["Status"] == "SUCCESS", created["Reason"]
    assert created["PhysicalResourceId"] == f"s3://{WEB_BUCKET}/web/"
    objects = _objects(WEB_BUCKET, "web/")
    assert {key: value["ContentType"] for key, value in objects.items()} == {
        "web/index.html": "text/html; charset=utf-8",
        "web/assets/app-1a2b.js": "text/javascript; charset=utf-8",
        "web/assets/app-1a2b.css": "text/css; charset=utf-8",
        "web/favicon.svg": "image/svg+xml",
        "web/assets/font.woff2": "font/woff2",
    }
    caching = {key: value.get("CacheControl") for key, value in objects.items()}
    assert caching == {  # hashed names are kept a year; index.html names them, so it is revalidated
        "web/index.html": "no-cache",
        "web/assets/app-1a2b.js": "public, max-age=31536000, immutable",
        "web/assets/app-1a2b.css": "public, max-age=31536000, immutable",
        "web/favicon.svg": None,
        "web/assets/font.woff2": "public, max-age=31536000, immutable",
    }
    assert objects["web/assets/app-1a2b.js"]["Body"].read() == b"console.log(1)"

    deleted = setup_function.request(
        "Custom::WebAssets", properties, request_type="Delete", physical_id=created["PhysicalResourceId"]
    )

    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert set(_objects(WEB_BUCKET)) == {"elsewhere.txt"}


def test_web_assets_from_a_file_that_is_not_a_zip_fail(setup_function):
    source = put_object("webui.zip", b"PK? not really")

    answer = setup_function.request(
        "Custom::WebAssets", {"Source": source, "Bucket": WEB_BUCKET, "Prefix": ""}
    )

    assert answer["Status"] == "FAILED"
    assert "not a zip file" in answer["Reason"]
    assert _objects(WEB_BUCKET) == {}


def test_web_assets_refuse_paths_outside_the_prefix(setup_function):
    source = put_object("webui.zip", _zip({"../escape.html": b"x"}))

    answer = setup_function.request(
        "Custom::WebAssets", {"Source": source, "Bucket": WEB_BUCKET, "Prefix": "web"}
    )

    assert answer["Status"] == "FAILED"
    assert "unsafe path '../escape.html'" in answer["Reason"]
