"""Tags (TagResource, UntagResource, ListTagsForResource) on any resource the service holds, and
the tags a Create operation was given, which the service records for the resource it created."""

from __future__ import annotations

from typing import Any

from allstore.personalize.errors import ServiceError, invalid_input, not_found
from allstore.personalize.state.service_state import ServiceState

Result = dict[str, Any]
MAX_TAGS_PER_RESOURCE = 50  # the service's quota; a request's list may be longer, the resource may not


def _tags(tags: list[dict[str, str]]) -> dict[str, str]:
    """[{"tagKey", "tagValue"}] as a mapping; keys starting with aws: are reserved for AWS."""
    reserved = [tag["tagKey"] for tag in tags if tag["tagKey"].lower().startswith("aws:")]
    if reserved:
        raise invalid_input(f"Tag keys starting with aws: are reserved for AWS use: {reserved[0]}.")
    return {tag["tagKey"]: tag["tagValue"] for tag in tags}


def _too_many(count: int) -> ServiceError:
    return ServiceError(
        "TooManyTagsException", f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags, not {count}."
    )


class TagsApi:
    """Tags by ARN; the resource must exist (any kind, including jobs and solution versions)."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def _existing(self, arn: str) -> str:
        if self.state.find_any(arn) is None:
            raise not_found(f"Resource {arn} does not exist.")
        return arn

    def check_creation_tags(self, tags: list[dict[str, str]] | None) -> None:
        """A Create operation's tags, checked before it creates anything."""
        if len(_tags(tags or [])) > MAX_TAGS_PER_RESOURCE:
            raise _too_many(len(_tags(tags or [])))

    def created(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        self.state.tags.replace(arn, _tags(tags or []))

    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> Result:
        adding = _tags(tags)
        merged = {**self.state.tags.get(self._existing(resource_arn)), **adding}
        if len(merged) > MAX_TAGS_PER_RESOURCE:
            raise _too_many(len(merged))
        self.state.tags.change(resource_arn, adding)
        return {}

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> Result:
        if len(tag_keys) > MAX_TAGS_PER_RESOURCE:
            raise ServiceError(
                "TooManyTagKeysException", f"At most {MAX_TAGS_PER_RESOURCE} tag keys can be removed at once."
            )
        self.state.tags.change(self._existing(resource_arn), {}, tuple(tag_keys))
        return {}

    def list_tags_for_resource(self, resource_arn: str) -> Result:
        tags = self.state.tags.get(self._existing(resource_arn))
        return {"tags": [{"tagKey": key, "tagValue": value} for key, value in tags.items()]}
