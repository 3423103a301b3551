"""Reading deploy/cloudformation.yaml outside CloudFormation: its YAML (with the short `!Ref`,
`!Sub`, ... tags) and the value of any part of it for given parameter values.

The IAM documents in deploy/iam/ are rendered from the template with this, and the tests check
the template with it where moto's CloudFormation does not create a resource (Glue, Athena, the
bucket policy). Only the intrinsic functions the template uses are evaluated; any other one raises
TemplateError naming it, so a template change cannot be silently misread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).with_name("cloudformation.yaml")

NO_VALUE = "AWS::NoValue"

_SHORT_FUNCTIONS = (
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join", "Not",
    "Or", "Select", "Split", "Sub", "Transform",
)  # fmt: skip
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")

_NAME_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::Lambda::Function": ("FunctionName",),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Table": ("TableInput", "Name"),
}
"""Where each resource type the template uses keeps its name: what `Ref` returns for it."""

_ID_RESOURCES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::SecurityGroup": ("GroupName",),
}
"""Resource types whose `Ref` is an id AWS assigns (`sg-...`), not their name: `Ref` gives the id
passed in `resource_ids`, or `<LogicalId>` before the stack exists; the name is still
`physical_name`."""


class TemplateError(ValueError):
    """The template uses something this reader does not evaluate; the message names it."""


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, turned into the long JSON form (`{"Fn::Sub": ...}`)."""


def _construct(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt":
        return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}
    if tag_suffix in _SHORT_FUNCTIONS:
        return {f"Fn::{tag_suffix}": value}
    raise TemplateError(f"unknown CloudFormation tag !{tag_suffix}")


_Loader.add_multi_constructor("!", _construct)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in their long form."""
    # ruff S506, bandit B506 (unsafe yaml.load): _Loader is a SafeLoader subclass that only adds the ! tags.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506  # nosec B506
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return data


class TemplateValues:
    """The values the template's expressions take for one set of parameters.

    `parameters` override the template's defaults (a CommaDelimitedList is given as one
    comma-separated string, as on the command line); `pseudo` holds AWS::Region, AWS::AccountId
    and AWS::Partition. `Ref` of a resource is its name property, `GetAtt X.Arn` its ARN.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        partition: str = "aws",
        resource_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.resource_ids = dict(resource_ids or {})
        self.pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": partition}
        declared: Mapping[str, Any] = template.get("Parameters", {})
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise TemplateError(f"parameters not in the template: {', '.join(unknown)}")
        self.parameters: dict[str, str | list[str]] = {}
        for name, spec in declared.items():
            if name in parameters:
                raw = parameters[name]
            elif "Default" in spec:
                raw = str(spec["Default"])
            else:
                raise TemplateError(f"parameter {name} has no default and no value was given")
            is_list = spec.get("Type") == "CommaDelimitedList"
            self.parameters[name] = raw.split(",") if is_list else raw

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template["Resources"]
        return resources

    def condition(self, name: str) -> bool:
        try:
            expression = self.template["Conditions"][name]
        except KeyError:
            raise TemplateError(f"unknown condition {name}") from None
        return bool(self.resolve(expression))

    def broken_rules(self) -> list[str]:
        """The template's Rules these parameters break, as CloudFormation states them: each
        failed assertion's description (CloudFormation refuses such a stack before creating it)."""
        broken: list[str] = []
        for name, rule in self.template.get("Rules", {}).items():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            broken.extend(
                f"{name}: {assertion.get('AssertDescription', 'assertion failed')}"
                for assertion in rule["Assertions"]
                if not self.resolve(assertion["Assert"])
            )
        return broken

    def created(self, logical_id: str) -> bool:
        """Whether the resource is created for these parameters (its Condition holds)."""
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every expression evaluated."""
        resolved: dict[str, Any] = self.resolve(self.resources[logical_id].get("Properties", {}))
        return resolved

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.resources:
            if self.resources[name]["Type"] in _ID_RESOURCES:
                return self.resource_ids.get(name, f"<{name}>")
            return self.physical_name(name)
        raise TemplateError(f"Ref {name}: neither a parameter, a pseudo parameter nor a resource")

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        path = _NAME_PROPERTIES.get(resource["Type"]) or _ID_RESOURCES.get(resource["Type"])
        if path is None:
            raise TemplateError(f"Ref {logical_id}: the name of a {resource['Type']} is not known here")
        value: Any = resource.get("Properties", {})
        for key in path:
            value = value[key]
        return str(self.resolve(value))

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        partition, region, account = (
            self.pseudo[k] for k in ("AWS::Partition", "AWS::Region", "AWS::AccountId")
        )
        if (kind, attribute) == ("AWS::IAM::Role", "Arn"):
            return f"arn:{partition}:iam::{account}:role/{name}"
        if (kind, attribute) == ("AWS::Lambda::Function", "Arn"):
            return f"arn:{partition}:lambda:{region}:{account}:function:{name}"
        if (kind, attribute) == ("AWS::EC2::SecurityGroup", "GroupId"):
            return str(self.ref(logical_id))
        raise TemplateError(f"GetAtt {logical_id}.{attribute} ({kind}) is not evaluated here")

    def resolve(self, node: Any) -> Any:
        """`node` with every intrinsic function evaluated; `AWS::NoValue` entries removed."""
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not _REMOVED]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(key, value)] = node.items()
            if key == "Ref":
                return _REMOVED if value == NO_VALUE else self.ref(value)
            if key == "Condition":
                return self.condition(value)
            if key.startswith("Fn::"):
                return self._function(key, value)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _REMOVED}

    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.resolve(items))
        if name == "Fn::GetAtt":
            logical_id, attribute = argument
            return self.get_att(logical_id, attribute)
        if name == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return left == right
        if name == "Fn::Not":
            [value] = argument
            return not self.resolve(value)
        if name == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if name == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if name == "Fn::Split":
            separator, joined = argument
            return str(self.resolve(joined)).split(separator)
        if name == "Fn::EachMemberEquals":
            members, value = (self.resolve(item) for item in argument)
            return all(member == value for member in members)
        raise TemplateError(f"{name} is not evaluated here")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            value = self.ref(name)
            if isinstance(value, list):
                raise TemplateError(f"Fn::Sub {text!r}: ${{{name}}} is a list")
            return str(value)

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")


class _Removed:
    """What `Ref: AWS::NoValue` evaluates to: the property or list item disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


_REMOVED: Any = _Removed()
