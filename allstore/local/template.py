"""Read template.yaml into plain data, CloudFormation short-form tags expanded.

`!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}` and every other
`!Tag` becomes `{"Fn::Tag": ...}`, the same shape as the JSON form of a template, so the tests and
the local runner read the one template that SAM deploys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


class _CloudFormationLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 6x faster
    """A safe YAML loader that knows CloudFormation's short-form intrinsic function tags."""


def _construct_tag(loader: _CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template file."""
    with open(path, encoding="utf-8") as stream:
        template = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(template, dict) or "Resources" not in template:
        raise ValueError(f"{path} is not a CloudFormation template (no Resources section)")
    return template
