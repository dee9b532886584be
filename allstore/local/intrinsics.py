"""Resolve CloudFormation intrinsic functions for the local stack.

The template is the one SAM deploys; locally its `Ref`s, `Fn::GetAtt`s and `Fn::Sub`s must become
the names, ARNs and endpoints of the resources the local store created. `Resolver` evaluates a value
tree against a `lookup` callback that supplies each resource's physical id and attributes, so the
resolver knows CloudFormation's rules and nothing about the stack's resources.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()
"""`AWS::NoValue`: the property or list element is dropped, as CloudFormation does."""

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses an intrinsic function wrongly, or names something that does not exist."""


ResourceLookup = Callable[[str, str | None], Any]
"""`lookup(logical_id, None)` → the resource's Ref value; `lookup(logical_id, "Arn")` → an attribute."""


@dataclass
class Resolver:
    """Evaluates intrinsic functions for one stack (its parameters, pseudo parameters and resources)."""

    template: Mapping[str, Any]
    lookup: ResourceLookup
    parameters: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = "123456789012"
    stack_name: str = "allstore"
    _conditions: dict[str, bool] = field(default_factory=dict, init=False)

    @property
    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def parameter(self, name: str) -> Any:
        """A parameter's value: the override given, else the template's Default."""
        declared = self.template.get("Parameters", {}).get(name)
        if declared is None:
            raise TemplateError(f"unknown parameter {name!r}")
        if name in self.parameters:
            value = self.parameters[name]
        elif "Default" in declared:
            value = declared["Default"]
        else:
            raise TemplateError(f"parameter {name!r} has no value and no Default")
        if str(declared.get("Type", "")).startswith("List<") or declared.get("Type") == "CommaDelimitedList":
            return [part.strip() for part in str(value).split(",")] if value != "" else []
        return str(value)

    def condition(self, name: str) -> bool:
        """A named condition from the Conditions section, evaluated once."""
        if name not in self._conditions:
            definition = self.template.get("Conditions", {}).get(name)
            if definition is None:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self._condition_value(definition))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated; `NO_VALUE` entries are dropped."""
        if isinstance(value, list):
            return [item for item in (self.resolve(element) for element in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self._function(key, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _function(self, name: str, argument: Any) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise TemplateError(f"intrinsic function {name} is not supported locally")
        return handler(self, argument)

    def _condition_value(self, definition: Any) -> Any:
        if isinstance(definition, dict) and len(definition) == 1 and "Condition" in definition:
            return self.condition(definition["Condition"])
        return self.resolve(definition)

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref takes a name, got {name!r}")
        pseudo = self.pseudo_parameters
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        return self.lookup(name, None)

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"Fn::GetAtt takes [resource, attribute], got {argument!r}")
        resource, attribute = argument[0], self.resolve(argument[1])
        return self.lookup(resource, attribute)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], {key: self.resolve(item) for key, item in argument[1].items()}
        else:
            raise TemplateError(f"Fn::Sub takes a string or [string, variables], got {argument!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template.get("Resources", {}):
                resource, attribute = name.split(".", 1)
                return str(self.lookup(resource, attribute))
            return str(self._ref(name))

        # `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
        return _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")

    def _if(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(f"Fn::If takes [condition, then, else], got {argument!r}")
        return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])

    def _select(self, argument: Any) -> Any:
        index, values = self.resolve(argument)
        if not isinstance(values, list) or not 0 <= int(index) < len(values):
            raise TemplateError(f"Fn::Select index {index} is out of range for {values!r}")
        return values[int(index)]

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = self.resolve(argument)
        return str(text).split(delimiter)

    def _join(self, argument: Any) -> str:
        delimiter, values = self.resolve(argument)
        return str(delimiter).join(str(value) for value in values)

    def _get_azs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or self.region
        return [f"{region}{zone}" for zone in "abc"]

    def _equals(self, argument: Any) -> bool:
        left, right = self.resolve(argument)
        return left == right

    def _not(self, argument: Any) -> bool:
        (condition,) = argument
        return not self._condition_value(condition)

    def _and(self, argument: Any) -> bool:
        return all(self._condition_value(condition) for condition in argument)

    def _or(self, argument: Any) -> bool:
        return any(self._condition_value(condition) for condition in argument)

    def _base64(self, argument: Any) -> str:
        return base64.b64encode(str(self.resolve(argument)).encode()).decode()


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::If": Resolver._if,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::Join": Resolver._join,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::Equals": Resolver._equals,
    "Fn::Not": Resolver._not,
    "Fn::And": Resolver._and,
    "Fn::Or": Resolver._or,
    "Fn::Base64": Resolver._base64,
    "Condition": lambda resolver, name: resolver.condition(name),
}
