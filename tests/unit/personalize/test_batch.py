"""Batch inference jobs from the boto3 side: JSON lines in moto S3, the job's output file parsed back
and compared with what the runtime answers; bad lines become error lines; what the service refuses."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ClientError

from allstore.personalize.server import PersonalizeServer
from allstore.personalize.state.inference import Inference
from tests.unit.personalize.conftest import Clients, Store, deploy, make_clients, wait_for

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"


def run_batch_job(clients: Clients, s3, version_arn: str, lines: list, name: str = "batch", **kwargs) -> list:
    """Upload `lines` (objects, or raw strings), run a batch inference job, return the output lines."""
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    s3.put_object(Bucket="workshop", Key=f"{name}/input/users.json", Body=body.encode())
    p = clients.personalize
    job_arn = p.create_batch_inference_job(
        jobName=name,
        solutionVersionArn=version_arn,
        roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://workshop/{name}/input/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://workshop/{name}/output/"}},
        **kwargs,
    )["batchInferenceJobArn"]
    job = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=job_arn)["batchInferenceJob"])
    assert job["status"] == "ACTIVE", job
    text = s3.get_object(Bucket="workshop", Key=f"{name}/output/users.json.out")["Body"].read().decode()
    return [json.loads(line) for line in text.splitlines()]


def test_user_personalization_batch_output_matches_the_runtime(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    filter_arn = p.create_filter(
        name="fishing",
        datasetGroupArn=shop.group_arn,
        filterExpression='INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("fishing")',
    )["filterArn"]
    wait_for(lambda: p.describe_filter(filterArn=filter_arn)["filter"])
    lines = [{"userId": "user-1"}, {"userId": "user-2"}, "not json", {"itemId": "item-0-0"}]
    output = run_batch_job(clients, s3, shop.version_arn, lines, numResults=5, filterArn=filter_arn)

    assert [line["input"] for line in output] == lines
    for line in output[:2]:
        assert line["error"] is None
        items, scores = line["output"]["recommendedItems"], line["output"]["scores"]
        assert len(items) == 5 and {store.item_category[item] for item in items} == {"fishing"}
        assert scores == sorted(scores, reverse=True)
        runtime = clients.runtime.get_recommendations(
            campaignArn=shop.campaign_arn, userId=line["input"]["userId"], numResults=5, filterArn=filter_arn
        )["itemList"]
        assert items == [entry["itemId"] for entry in runtime]
        assert scores == [entry["score"] for entry in runtime]
    assert output[2]["output"] is None and "not valid JSON" in output[2]["error"]
    assert output[3]["output"] is None and "userId is required" in output[3]["error"]

    jobs = p.list_batch_inference_jobs(solutionVersionArn=shop.version_arn)["batchInferenceJobs"]
    assert [(job["jobName"], job["status"]) for job in jobs] == [("batch", "ACTIVE")]
    job = p.describe_batch_inference_job(batchInferenceJobArn=jobs[0]["batchInferenceJobArn"])
    assert job["batchInferenceJob"]["numResults"] == 5
    assert job["batchInferenceJob"]["filterArn"] == filter_arn


def test_related_items_and_ranking_batches(clients: Clients, store: Store, s3) -> None:
    sims = deploy(clients, store, recipe="aws-sims", name="similar")
    output = run_batch_job(clients, s3, sims.version_arn, [{"itemId": "item-1-0"}], name="sims", numResults=4)
    items = output[0]["output"]["recommendedItems"]
    assert len(items) == 4 and "item-1-0" not in items
    assert "scores" not in output[0]["output"]  # SIMS reports no scores, as at the runtime

    ranking = deploy(clients, store, recipe="aws-personalized-ranking", name="ranking")
    wanted = ["item-3-0", "item-0-0", "unknown-item", "item-3-1"]
    output = run_batch_job(
        clients, s3, ranking.version_arn, [{"userId": "user-3", "itemList": wanted}], name="rank"
    )
    ranked = output[0]["output"]["recommendedItems"]
    assert sorted(ranked) == sorted(wanted) and ranked[-1] == "unknown-item"
    runtime = clients.runtime.get_personalized_ranking(
        campaignArn=ranking.campaign_arn, userId="user-3", inputList=wanted
    )["personalizedRanking"]
    assert ranked == [entry["itemId"] for entry in runtime]


def test_exploration_brings_cold_items_forward(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store)
    plain = run_batch_job(clients, s3, shop.version_arn, [{"userId": "user-1"}], name="plain", numResults=10)
    explored = run_batch_job(
        clients,
        s3,
        shop.version_arn,
        [{"userId": "user-1"}],
        name="explored",
        numResults=10,
        batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "1.0"}},
    )

    def interactions(items: list[str]) -> int:
        text = store.interactions_csv.read_text()
        return sum(text.count(f",{item},") for item in items)

    cold = explored[0]["output"]["recommendedItems"]
    assert cold != plain[0]["output"]["recommendedItems"]
    assert interactions(cold) < interactions(plain[0]["output"]["recommendedItems"])

    # rankingInfluence: POPULARITY pulls popular items up
    popular = run_batch_job(
        clients,
        s3,
        shop.version_arn,
        [{"userId": "user-1"}],
        name="popular",
        numResults=10,
        batchInferenceJobConfig={"rankingInfluence": {"POPULARITY": 1.0}},
    )[0]["output"]["recommendedItems"]
    assert interactions(popular) > interactions(plain[0]["output"]["recommendedItems"])


def test_what_the_service_refuses(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    common = {
        "solutionVersionArn": shop.version_arn,
        "roleArn": ROLE,
        "jobInput": {"s3DataSource": {"path": "s3://workshop/in.json"}},
        "jobOutput": {"s3DataDestination": {"path": "s3://workshop/out/"}},
    }
    for kwargs, message in (
        (  # the developer guide's theme request: refused, naming what is unsupported
            {
                "batchInferenceJobMode": "THEME_GENERATION",
                "themeGenerationConfig": {"fieldsForThemeGeneration": {"itemName": "TITLE"}},
            },
            "THEME_GENERATION (themeGenerationConfig: themes written by Content Generator, a generative "
            "model) is not supported by the local Personalize service",
        ),
        ({"numResults": 501}, "numResults"),
        ({"batchInferenceJobConfig": {"itemExplorationConfig": {"explorationWeight": "2"}}}, "between 0"),
    ):
        with pytest.raises(ClientError) as error:
            p.create_batch_inference_job(jobName="refused", **common, **kwargs)
        assert error.value.response["Error"]["Code"] == "InvalidInputException"
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert message in error.value.response["Error"]["Message"]
    with pytest.raises(p.exceptions.InvalidInputException, match="USER_SEGMENTATION"):
        p.create_batch_segment_job(jobName="segments", **common)
    assert p.list_batch_inference_jobs()["batchInferenceJobs"] == []  # nothing was created

    # a missing input object fails the job with the reason
    job_arn = p.create_batch_inference_job(jobName="missing", **common)["batchInferenceJobArn"]
    job = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=job_arn)["batchInferenceJob"])
    assert job["status"] == "CREATE FAILED" and "does not exist" in job["failureReason"]
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_batch_inference_job(jobName="missing", **common)


def test_segment_job_users_share_the_items_affinity(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store, recipe="aws-item-affinity", name="segments", campaign=False)
    p = clients.personalize
    lines = [{"itemId": "item-2-0"}, {"itemId": "item-3-1"}, {"userId": "user-1"}]
    s3.put_object(
        Bucket="workshop", Key="segments/items.json", Body="\n".join(map(json.dumps, lines)).encode()
    )
    job_arn = p.create_batch_segment_job(
        jobName="segments",
        solutionVersionArn=shop.version_arn,
        roleArn=ROLE,
        numResults=10,
        jobInput={"s3DataSource": {"path": "s3://workshop/segments/items.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://workshop/segments/out/"}},
    )["batchSegmentJobArn"]
    job = wait_for(lambda: p.describe_batch_segment_job(batchSegmentJobArn=job_arn)["batchSegmentJob"])
    assert job["status"] == "ACTIVE", job
    text = s3.get_object(Bucket="workshop", Key="segments/out/items.json.out")["Body"].read().decode()
    output = [json.loads(line) for line in text.splitlines()]
    assert [line["input"] for line in output] == lines
    for line in output[:2]:
        users = line["output"]["recommendedUsers"]
        category = store.item_category[line["input"]["itemId"]]
        assert len(users) == 10
        # users whose favourite category is the item's: most of the segment (a quarter of all users)
        assert sum(store.user_category[user] == category for user in users) >= 8
    assert "itemId" in output[2]["error"]
    assert [job["jobName"] for job in p.list_batch_segment_jobs()["batchSegmentJobs"]] == ["segments"]

    # User filters (the developer guide's user segment filter expressions): Users metadata with a
    # per-line $PARAMETER, and users' interactions by event type.
    by_segment = _filter(p, shop.group_arn, "by-segment", "INCLUDE UserID WHERE Users.SEGMENT IN ($SEGMENT)")
    no_buyers = _filter(
        p, shop.group_arn, "no-buyers", 'EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("purchase")'
    )
    segment_of = dict(line.split(",") for line in store.users_csv.read_text().splitlines()[1:])
    buyers = {
        line.split(",")[0] for line in store.interactions_csv.read_text().splitlines() if ",purchase," in line
    }
    gold = [{"itemId": "item-2-0", "filterValues": {"SEGMENT": '"gold"'}}]
    for name, filter_arn, job_lines in (("gold", by_segment, gold), ("no-buyers", no_buyers, lines[:2])):
        s3.put_object(
            Bucket="workshop",
            Key=f"segments/{name}.json",
            Body="\n".join(map(json.dumps, job_lines)).encode(),
        )
        job_arn = p.create_batch_segment_job(
            jobName=name,
            solutionVersionArn=shop.version_arn,
            filterArn=filter_arn,
            roleArn=ROLE,
            numResults=10,
            jobInput={"s3DataSource": {"path": f"s3://workshop/segments/{name}.json"}},
            jobOutput={"s3DataDestination": {"path": f"s3://workshop/segments/{name}/"}},
        )["batchSegmentJobArn"]
        job = wait_for(
            lambda arn=job_arn: p.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]
        )
        assert job["status"] == "ACTIVE" and job["filterArn"] == filter_arn, job
        text = (
            s3.get_object(Bucket="workshop", Key=f"segments/{name}/{name}.json.out")["Body"].read().decode()
        )
        segments = [json.loads(line)["output"]["recommendedUsers"] for line in text.splitlines()]
        if name == "gold":
            assert len(segments[0]) == 10 and {segment_of[user] for user in segments[0]} == {"gold"}
        else:
            assert all(segment and not set(segment) & buyers for segment in segments)
            assert all(
                len(segment) == min(10, len(set(store.user_category) - buyers)) for segment in segments
            )
    item_filter = _filter(
        p, shop.group_arn, "items-only", 'INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("fishing")'
    )
    with pytest.raises(p.exceptions.InvalidInputException, match="UserID"):
        p.create_batch_segment_job(
            jobName="item-filter",
            solutionVersionArn=shop.version_arn,
            filterArn=item_filter,
            roleArn=ROLE,
            jobInput={"s3DataSource": {"path": "s3://workshop/segments/items.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://workshop/segments/out/"}},
        )

    with pytest.raises(p.exceptions.InvalidInputException, match="segment job"):
        p.create_batch_inference_job(
            jobName="not-for-segments",
            solutionVersionArn=shop.version_arn,
            roleArn=ROLE,
            jobInput={"s3DataSource": {"path": "s3://workshop/segments/items.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://workshop/segments/out/"}},
        )


def test_a_folder_of_inputs_gives_one_output_per_file(clients: Clients, store: Store, s3) -> None:
    shop = deploy(clients, store)
    p = clients.personalize
    for name, user in (("a.json", "user-1"), ("b.json", "user-2")):
        s3.put_object(Bucket="workshop", Key=f"folder/{name}", Body=json.dumps({"userId": user}).encode())
    s3.put_object(Bucket="workshop", Key="folder/a.json.out", Body=b"an earlier job's output\n")
    job_arn = p.create_batch_inference_job(
        jobName="folder",
        solutionVersionArn=shop.version_arn,
        roleArn=ROLE,
        numResults=3,
        jobInput={"s3DataSource": {"path": "s3://workshop/folder/"}},
        jobOutput={"s3DataDestination": {"path": "s3://workshop/folder/"}},
    )["batchInferenceJobArn"]
    job = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=job_arn)["batchInferenceJob"])
    assert job["status"] == "ACTIVE", job
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="workshop", Prefix="folder/")["Contents"])
    assert keys == ["folder/a.json", "folder/a.json.out", "folder/b.json", "folder/b.json.out"]
    for name, user in (("a.json", "user-1"), ("b.json", "user-2")):
        line = json.loads(s3.get_object(Bucket="workshop", Key=f"folder/{name}.out")["Body"].read())
        assert line["input"] == {"userId": user} and len(line["output"]["recommendedItems"]) == 3


def test_a_batch_job_cut_off_by_a_restart_is_failed(state_dir, store: Store, s3, monkeypatch) -> None:
    first = PersonalizeServer(state_dir)
    first.start()
    clients = make_clients(first)
    shop = deploy(clients, store)
    release = threading.Event()
    recommend = Inference.recommend

    def slow(*args, **kwargs):
        release.wait(10)
        return recommend(*args, **kwargs)

    monkeypatch.setattr(Inference, "recommend", slow)
    s3.put_object(Bucket="workshop", Key="cut/users.json", Body=b'{"userId": "user-1"}\n')
    job_arn = clients.personalize.create_batch_inference_job(
        jobName="cut-off",
        solutionVersionArn=shop.version_arn,
        roleArn=ROLE,
        jobInput={"s3DataSource": {"path": "s3://workshop/cut/users.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://workshop/cut/out/"}},
    )["batchInferenceJobArn"]
    wait_for(
        lambda: clients.personalize.describe_batch_inference_job(batchInferenceJobArn=job_arn)[
            "batchInferenceJob"
        ],
        until=("CREATE IN_PROGRESS",),
    )
    first._server.stop()  # the process "dies"; the job's thread is left running like an orphan
    first.service.directory_lock.release()
    second = PersonalizeServer(state_dir)
    try:
        second.start()
        job = make_clients(second).personalize.describe_batch_inference_job(batchInferenceJobArn=job_arn)
        assert job["batchInferenceJob"]["status"] == "CREATE FAILED"
        assert "Interrupted" in job["batchInferenceJob"]["failureReason"]
    finally:
        release.set()
        second.stop()
        first.service.close()


def _filter(p, group_arn: str, name: str, expression: str) -> str:
    arn = p.create_filter(name=name, datasetGroupArn=group_arn, filterExpression=expression)["filterArn"]
    wait_for(lambda: p.describe_filter(filterArn=arn)["filter"])
    return arn
