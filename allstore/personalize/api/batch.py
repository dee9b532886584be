"""Batch inference and batch segment jobs (AmazonPersonalize.<Operation>): a JSON-lines file of
requests read from S3 (or a local path), answered in the background with a solution version's model,
and written back as `<input file name>.out` in the output folder, one line per input line, in the
service's output format; a line that cannot be answered becomes an error line, not a failed job."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from allstore.personalize.errors import ServiceError, invalid_input
from allstore.personalize.state.inference import (
    DEFAULT_NUM_RESULTS,
    MAX_NUM_RESULTS,
    Query,
    campaign_config_with_defaults,
)
from allstore.personalize.state.kinds import BatchInferenceJob, BatchSegmentJob, SolutionVersion
from allstore.personalize.state.models import ModelBundle
from allstore.personalize.state.objects import read_texts, write_text
from allstore.personalize.state.resources import make_arn
from allstore.personalize.state.service_state import ServiceState

Result = dict[str, Any]
# Recipes the service gives no batch recommendations for (the developer guide's batch workflow).
NO_BATCH_RECIPES = ("aws-trending-now", "aws-next-best-action")
MAX_SEGMENT_RESULTS = 5_000_000  # users per segment


def _output_lines(text: str, answer: Callable[[dict[str, Any]], Result]) -> str:
    """One output line per non-blank input line: the answer, or the input with the error."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as error:
            lines.append({"input": line, "output": None, "error": f"The line is not valid JSON: {error}"})
            continue
        if not isinstance(request, dict):
            lines.append({"input": request, "output": None, "error": "The line must be a JSON object."})
            continue
        try:
            lines.append(answer(request))
        except ServiceError as error:
            lines.append({"input": request, "output": None, "error": error.message})
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


def _text(request: dict[str, Any], member: str) -> str | None:
    value = request.get(member)
    if value is not None and not isinstance(value, str):
        raise invalid_input(f"{member} must be a string.")
    return value


class BatchApi:
    """Create/Describe/List for batch inference jobs and batch segment jobs."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.store = state.resources

    def _model(self, version_arn: str, filter_arn: str | None, target: str = "ItemID") -> ModelBundle:
        """The ACTIVE version's model, with the filter (of items, or of users for a segment job)
        checked against its dataset group now."""
        version = self.store.active(SolutionVersion, version_arn)
        if filter_arn:
            self.state.inference.check_filter(filter_arn, version.dataset_group_arn, target)
        return self.state.models.load(version_arn)

    def _run(self, kind: type, arn: str, source: str, destination: str, answer: Callable) -> None:
        def work() -> None:
            for name, text in read_texts(source):
                if name.endswith(".out"):  # an earlier job's output in the input folder
                    continue
                write_text(destination, f"{name}.out", _output_lines(text, answer))

        self.state.jobs.activate(kind, arn, work, long=True)

    # -- batch inference jobs ---------------------------------------------------------------------

    def create_batch_inference_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: Result,
        job_output: Result,
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int = DEFAULT_NUM_RESULTS,
        batch_inference_job_config: Result | None = None,
        batch_inference_job_mode: str = "BATCH_INFERENCE",
    ) -> Result:
        if batch_inference_job_mode == "THEME_GENERATION":  # refused before anything is created
            raise invalid_input(
                "batchInferenceJobMode THEME_GENERATION (themeGenerationConfig: themes written by Content "
                "Generator, a generative model) is not supported by the local Personalize service; "
                "use BATCH_INFERENCE."
            )
        model = self._model(solution_version_arn, filter_arn)
        recipe_type = model.recipe_type
        if model.recipe_name in NO_BATCH_RECIPES or recipe_type == "USER_SEGMENTATION":
            raise invalid_input(
                f"Solution version {solution_version_arn} ({model.recipe_name}) cannot make batch "
                "recommendations"
                + (": use a batch segment job." if recipe_type == "USER_SEGMENTATION" else ".")
            )
        if not 1 <= num_results <= MAX_NUM_RESULTS:
            raise invalid_input(f"numResults must be between 1 and {MAX_NUM_RESULTS}.")
        config = batch_inference_job_config or {}
        if config.get("itemExplorationConfig") is not None and recipe_type != "USER_PERSONALIZATION":
            raise invalid_input("itemExplorationConfig applies only to User-Personalization solutions.")
        # checked now, so a bad config fails the call; a campaign's defaults for what it leaves out
        exploration = campaign_config_with_defaults(config, recipe_type).get("itemExplorationConfig")
        influence = config.get("rankingInfluence")
        if influence and recipe_type != "USER_PERSONALIZATION":
            raise invalid_input("rankingInfluence applies only to User-Personalization solutions.")
        arn = make_arn(BatchInferenceJob.kind, job_name)
        self.store.new(
            BatchInferenceJob(
                arn=arn,
                job_name=job_name,
                solution_version_arn=solution_version_arn,
                filter_arn=filter_arn,
                num_results=num_results,
                job_input=job_input,
                job_output=job_output,
                batch_inference_job_config=config,
                role_arn=role_arn,
                batch_inference_job_mode=batch_inference_job_mode,
            )
        )

        def answer(request: dict[str, Any]) -> Result:
            query = Query(
                user_id=_text(request, "userId"),
                item_id=_text(request, "itemId"),
                num_results=num_results,
                filter_arn=filter_arn,
                filter_values=request.get("filterValues"),
                exploration=exploration,
                ranking_influence=influence,
            )
            if recipe_type == "PERSONALIZED_RANKING":
                item_list = request.get("itemList")
                if not isinstance(item_list, list) or not all(isinstance(item, str) for item in item_list):
                    raise invalid_input('"itemList" must be a list of item ids.')
                if not query.user_id:
                    raise invalid_input('"userId" is required.')
                ranked = self.state.inference.rank(solution_version_arn, query, item_list)
            else:
                ranked = self.state.inference.recommend(solution_version_arn, query)
            output: Result = {"recommendedItems": [entry["itemId"] for entry in ranked]}
            if ranked and all("score" in entry for entry in ranked):
                output["scores"] = [entry["score"] for entry in ranked]
            return {"input": request, "output": output, "error": None}

        self._run(
            BatchInferenceJob,
            arn,
            job_input["s3DataSource"]["path"],
            job_output["s3DataDestination"]["path"],
            answer,
        )
        return {"batchInferenceJobArn": arn}

    def describe_batch_inference_job(self, batch_inference_job_arn: str) -> Result:
        return {"batchInferenceJob": self.store.get(BatchInferenceJob, batch_inference_job_arn).wire()}

    def list_batch_inference_jobs(
        self,
        solution_version_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            BatchInferenceJob,
            "batchInferenceJobs",
            next_token,
            max_results,
            lambda job: solution_version_arn in (None, job.solution_version_arn),
        )

    # -- batch segment jobs -----------------------------------------------------------------------

    def create_batch_segment_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: Result,
        job_output: Result,
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int = DEFAULT_NUM_RESULTS,
    ) -> Result:
        if self._model(solution_version_arn, filter_arn, "UserID").recipe_type != "USER_SEGMENTATION":
            raise invalid_input(
                f"Solution version {solution_version_arn} is not of a USER_SEGMENTATION recipe "
                "(aws-item-affinity, aws-item-attribute-affinity): use a batch inference job."
            )
        if not 1 <= num_results <= MAX_SEGMENT_RESULTS:
            raise invalid_input(f"numResults must be between 1 and {MAX_SEGMENT_RESULTS}.")
        arn = make_arn(BatchSegmentJob.kind, job_name)
        self.store.new(
            BatchSegmentJob(
                arn=arn,
                job_name=job_name,
                solution_version_arn=solution_version_arn,
                filter_arn=filter_arn,
                num_results=num_results,
                job_input=job_input,
                job_output=job_output,
                role_arn=role_arn,
            )
        )

        def answer(request: dict[str, Any]) -> Result:
            attributes = _text(request, "itemAttributes")
            users = self.state.inference.segment(
                solution_version_arn,
                num_results,
                item_id=_text(request, "itemId"),
                item_attributes=attributes,
                filter_arn=filter_arn,
                filter_values=request.get("filterValues"),
            )
            if attributes is not None:  # the developer guide's Item-Attribute-Affinity output line
                return {"itemAttributes": attributes, "output": {"recommendedUsers": users}}
            return {"input": request, "output": {"recommendedUsers": users}}

        self._run(
            BatchSegmentJob,
            arn,
            job_input["s3DataSource"]["path"],
            job_output["s3DataDestination"]["path"],
            answer,
        )
        return {"batchSegmentJobArn": arn}

    def describe_batch_segment_job(self, batch_segment_job_arn: str) -> Result:
        return {"batchSegmentJob": self.store.get(BatchSegmentJob, batch_segment_job_arn).wire()}

    def list_batch_segment_jobs(
        self,
        solution_version_arn: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
    ) -> Result:
        return self.store.list_page(
            BatchSegmentJob,
            "batchSegmentJobs",
            next_token,
            max_results,
            lambda job: solution_version_arn in (None, job.solution_version_arn),
        )
