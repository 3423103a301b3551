"""Reading deploy/tofu/ outside OpenTofu: its HCL (parsed by python-hcl2) and the value of any
part of it for given variable values, as `deploy/cfn.py` does for the CloudFormation template.

No `tofu` binary or AWS provider can be fetched here, so the module is checked by evaluating it:
`var.`, `local.` and the three account data sources (`aws_region`, `aws_caller_identity`,
`aws_partition`), string templates, `? :`, `==`, `!=`, `&&`, `||`, `!`, lists and the functions
in `_FUNCTIONS`. A resource's attribute is what CloudFormation's `Ref`/`GetAtt` would give: its
name or ARN, or `<type.name>` for an id AWS assigns. Anything else raises HclError naming it, so
a module change cannot be silently misread. tests/deploy/test_tofu_module.py cross-checks the
result against the template (deploy/tofu_check.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

TOFU_DIR = Path(__file__).with_name("tofu")

_BLOCK_MARKER = "__is_block__"

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<op>==|!=|>=|<=|&&|\|\||[?:!\[\](),.*<>])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
      | (?P<string>")
    )""",
    re.VERBOSE,
)


class HclError(ValueError):
    """The module uses something this reader does not evaluate; the message names it."""


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


@dataclass(frozen=True)
class TofuModule:
    """The module's blocks, by kind, with their labels unquoted."""

    variables: dict[str, dict[str, Any]]
    locals: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    """`type.name` -> body."""
    data: dict[str, dict[str, Any]]
    """`type.name` -> body."""
    outputs: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, directory: Path = TOFU_DIR) -> TofuModule:
        variables: dict[str, dict[str, Any]] = {}
        local_values: dict[str, Any] = {}
        resources: dict[str, dict[str, Any]] = {}
        data: dict[str, dict[str, Any]] = {}
        outputs: dict[str, dict[str, Any]] = {}
        files = sorted(directory.glob("*.tf"))
        if not files:
            raise HclError(f"{directory}: no .tf files")
        for path in files:
            with path.open(encoding="utf-8") as file:
                parsed = hcl2.load(file)
            for block in parsed.get("variable", []):
                variables.update({_unquote(k): v for k, v in block.items() if k != _BLOCK_MARKER})
            for block in parsed.get("locals", []):
                local_values.update({k: v for k, v in block.items() if k != _BLOCK_MARKER})
            for block in parsed.get("output", []):
                outputs.update({_unquote(k): v for k, v in block.items() if k != _BLOCK_MARKER})
            for kind, target in (("resource", resources), ("data", data)):
                for block in parsed.get(kind, []):
                    for type_label, named in block.items():
                        for name, body in named.items():
                            address = f"{_unquote(type_label)}.{_unquote(name)}"
                            if address in target:
                                raise HclError(f"{path}: {kind} {address} is defined twice")
                            target[address] = body
        return cls(variables, local_values, resources, data, outputs)


NAME_ATTRIBUTES = {
    "aws_s3_bucket": "bucket",
    "aws_cloudwatch_log_group": "name",
    "aws_iam_role": "name",
    "aws_lambda_function": "function_name",
    "aws_athena_workgroup": "name",
    "aws_glue_catalog_database": "name",
    "aws_glue_catalog_table": "name",
    "aws_security_group": "name",
}
"""Where each resource type keeps its name (what `.name`, `.id`, `.bucket` give for it)."""

_ASSIGNED_IDS = {"aws_security_group"}
"""Types whose `.id` AWS assigns (`sg-...`): `<type.name>` here, as `<LogicalId>` in deploy/cfn.py."""


class TofuValues:
    """The values the module's expressions take for one set of variables (defaults filled in)."""

    def __init__(
        self,
        module: TofuModule,
        variables: Mapping[str, Any],
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        partition: str = "aws",
    ) -> None:
        self.module = module
        unknown = sorted(set(variables) - set(module.variables))
        if unknown:
            raise HclError(f"variables not in the module: {', '.join(unknown)}")
        self.variables: dict[str, Any] = {}
        for name, spec in module.variables.items():
            if name in variables:
                self.variables[name] = variables[name]
            elif "default" in spec:
                self.variables[name] = self.value(spec["default"])
            else:
                raise HclError(f"variable {name} has no default and no value was given")
        self.account = {"region": region, "account_id": account, "partition": partition}
        self._locals: dict[str, Any] = {}

    # --- blocks ---------------------------------------------------------------------------------

    def count(self, address: str) -> int:
        """How many instances the resource has (`count`, 1 without it)."""
        body = self._resource(address)
        return int(self.value(body["count"])) if "count" in body else 1

    def attribute(self, address: str, name: str) -> Any:
        """One argument of a resource (or `data.` source), evaluated; KeyError when absent."""
        body = self._data(address[5:]) if address.startswith("data.") else self._resource(address)
        return self.value(body[name])

    def block(self, address: str, name: str) -> list[dict[str, Any]]:
        """A resource's nested blocks of one kind (`environment`, `vpc_config`, ...), evaluated."""
        body = self._resource(address)
        blocks = body.get(name, [])
        return [self.value(block) for block in (blocks if isinstance(blocks, list) else [blocks])]

    def policy_document(self, data_name: str) -> dict[str, Any]:
        """`data.aws_iam_policy_document.NAME` as the JSON document it renders, in IAM's shape."""
        body = self._data(f"aws_iam_policy_document.{data_name}")
        statements = [self._statement(s) for s in body.get("statement", [])]
        for dynamic in body.get("dynamic", []):
            for label, spec in dynamic.items():
                if _unquote(label) != "statement":
                    continue
                for _ in self.value(spec["for_each"]):
                    statements.extend(self._statement(content) for content in spec["content"])
        return {"Version": "2012-10-17", "Statement": statements}

    def _statement(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        statement = {key: self.value(value) for key, value in raw.items() if key != _BLOCK_MARKER}
        rendered: dict[str, Any] = {}
        if "sid" in statement:
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect", "Allow")
        for principal in statement.get("principals", []):
            rendered["Principal"] = {principal["type"]: principal["identifiers"]}
        rendered["Action"] = statement["actions"]
        if "resources" in statement:
            rendered["Resource"] = statement["resources"]
        for condition in statement.get("condition", []):
            rendered.setdefault("Condition", {}).setdefault(condition["test"], {})[condition["variable"]] = (
                condition["values"]
            )
        return rendered

    def _resource(self, address: str) -> dict[str, Any]:
        try:
            return self.module.resources[address]
        except KeyError:
            raise HclError(f"no resource {address} in the module") from None

    def _data(self, address: str) -> dict[str, Any]:
        try:
            return self.module.data[address]
        except KeyError:
            raise HclError(f"no data source {address} in the module") from None

    # --- values ---------------------------------------------------------------------------------

    def value(self, raw: Any) -> Any:
        """A parsed HCL value with every expression evaluated (block markers dropped)."""
        if isinstance(raw, list):
            return [self.value(item) for item in raw]
        if isinstance(raw, dict):
            return {_unquote(k): self.value(v) for k, v in raw.items() if k != _BLOCK_MARKER}
        if not isinstance(raw, str):
            return raw
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            return self._template(raw[1:-1])
        if raw.startswith("${") and raw.endswith("}"):
            return self.expression(raw[2:-1])
        return raw

    def expression(self, text: str) -> Any:
        parser = _Parser(text, self)
        result = parser.expression()
        parser.end()
        return result

    def _template(self, text: str) -> str:
        out: list[str] = []
        index = 0
        while index < len(text):
            start = text.find("${", index)
            if start < 0:
                out.append(text[index:])
                break
            out.append(text[index:start])
            end = _closing_brace(text, start + 2)
            value = self.expression(text[start + 2 : end])
            if isinstance(value, (list, dict)):
                raise HclError(f"string template {text!r}: ${{{text[start + 2 : end]}}} is not a string")
            out.append(str(value).lower() if isinstance(value, bool) else str(value))
            index = end + 1
        return "".join(out).replace('\\"', '"')

    def reference(self, path: list[str]) -> Any:
        head = path[0]
        if head == "var":
            return self.variables[_one(path, 2)]
        if head == "local":
            name = _one(path, 2)
            if name not in self._locals:
                if name not in self.module.locals:
                    raise HclError(f"local.{name} is not defined")
                self._locals[name] = self.value(self.module.locals[name])
            return self._locals[name]
        if head == "data":
            return self._data_reference(path)
        if head.startswith("aws_"):
            return self._resource_attribute(path)
        raise HclError(f"{'.'.join(path)} is not evaluated here")

    def _data_reference(self, path: list[str]) -> Any:
        joined = ".".join(path)
        known = {
            "data.aws_region.current.region": "region",
            "data.aws_caller_identity.current.account_id": "account_id",
            "data.aws_partition.current.partition": "partition",
        }
        if joined in known:
            return self.account[known[joined]]
        if len(path) == 4 and path[1] == "aws_iam_policy_document" and path[3] == "json":
            return self.policy_document(path[2])
        raise HclError(f"{joined} is not evaluated here")

    def _resource_attribute(self, path: list[str]) -> str:
        if len(path) != 3:
            raise HclError(f"{'.'.join(path)}: expected TYPE.NAME.ATTRIBUTE")
        kind, name, attribute = path
        address = f"{kind}.{name}"
        if kind in _ASSIGNED_IDS and attribute == "id":
            return f"<{address}>"
        if kind not in NAME_ATTRIBUTES:
            raise HclError(f"{address}.{attribute}: the name of a {kind} is not known here")
        resource_name = str(self.attribute(address, NAME_ATTRIBUTES[kind]))
        partition, region, account = (self.account[k] for k in ("partition", "region", "account_id"))
        if attribute in ("name", "id", "bucket", "function_name"):
            return resource_name
        arns = {
            "aws_iam_role": f"arn:{partition}:iam::{account}:role/{resource_name}",
            "aws_lambda_function": f"arn:{partition}:lambda:{region}:{account}:function:{resource_name}",
            "aws_s3_bucket": f"arn:{partition}:s3:::{resource_name}",
            "aws_cloudwatch_log_group": f"arn:{partition}:logs:{region}:{account}:log-group:{resource_name}",
        }
        if attribute == "arn" and kind in arns:
            return arns[kind]
        raise HclError(f"{address}.{attribute} is not evaluated here")


def _one(path: list[str], length: int) -> str:
    if len(path) != length:
        raise HclError(f"{'.'.join(path)}: expected {length} parts")
    return path[-1]


def _closing_brace(text: str, index: int) -> int:
    depth, in_string = 1, False
    while index < len(text):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            in_string = not in_string
        elif not in_string and char == "{":
            depth += 1
        elif not in_string and char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise HclError(f"unclosed ${{ in {text!r}")


def _concat(*lists: Any) -> list[Any]:
    return [item for items in lists for item in items]


def _compact(items: Any) -> list[Any]:
    return [item for item in items if item not in ("", None)]


_FUNCTIONS: dict[str, Callable[..., Any]] = {"concat": _concat, "compact": _compact, "length": len}


class _Parser:
    """Recursive descent over one expression: conditional > or > and > comparison > unary > primary."""

    def __init__(self, text: str, values: TofuValues) -> None:
        self.text = text
        self.values = values
        self.index = 0

    def fail(self, what: str) -> HclError:
        return HclError(f"expression {self.text!r}: {what} at {self.index}")

    def peek(self) -> tuple[str, str] | None:
        match = _TOKEN.match(self.text, self.index)
        if match is None or match.end() == match.start() or not match.lastgroup:
            rest = self.text[self.index :].strip()
            if rest:
                raise self.fail(f"cannot read {rest[:20]!r}")
            return None
        return match.lastgroup, match.group(match.lastgroup)

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.fail("unexpected end")
        match = _TOKEN.match(self.text, self.index)
        assert match is not None
        self.index = match.end()
        return token

    def accept(self, op: str) -> bool:
        token = self.peek()
        if token == ("op", op):
            self.take()
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            raise self.fail(f"expected {op!r}")

    def end(self) -> None:
        if self.peek() is not None:
            raise self.fail("unexpected text")

    def expression(self) -> Any:
        condition = self.disjunction()
        if self.accept("?"):
            when_true = self.expression()
            self.expect(":")
            when_false = self.expression()
            return when_true if condition else when_false
        return condition

    def disjunction(self) -> Any:
        value = self.conjunction()
        while self.accept("||"):
            right = self.conjunction()
            value = bool(value) or bool(right)
        return value

    def conjunction(self) -> Any:
        value = self.comparison()
        while self.accept("&&"):
            right = self.comparison()
            value = bool(value) and bool(right)
        return value

    def comparison(self) -> Any:
        left = self.unary()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ("==", "!=", ">", "<", ">=", "<="):
            operator = self.take()[1]
            right = self.unary()
            comparisons: dict[str, Callable[[Any, Any], bool]] = {
                "==": lambda a, b: bool(a == b),
                "!=": lambda a, b: bool(a != b),
                ">": lambda a, b: bool(a > b),
                "<": lambda a, b: bool(a < b),
                ">=": lambda a, b: bool(a >= b),
                "<=": lambda a, b: bool(a <= b),
            }
            return comparisons[operator](left, right)
        return left

    def unary(self) -> Any:
        if self.accept("!"):
            return not self.unary()
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            end = self.index
            while end < len(self.text) and not (self.text[end] == '"' and self.text[end - 1] != "\\"):
                if self.text.startswith("${", end):
                    end = _closing_brace(self.text, end + 2)
                end += 1
            literal = self.text[self.index : end]
            self.index = end + 1
            return self.values._template(literal)
        if (kind, text) == ("op", "["):
            items = []
            if not self.accept("]"):
                items.append(self.expression())
                while self.accept(","):
                    if self.accept("]"):
                        return items
                    items.append(self.expression())
                self.expect("]")
            return items
        if (kind, text) == ("op", "("):
            value = self.expression()
            self.expect(")")
            return value
        if kind == "ident":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if self.accept("("):
                return self.call(text)
            return self.reference_from(text)
        raise self.fail(f"unexpected {text!r}")

    def call(self, name: str) -> Any:
        if name not in _FUNCTIONS:
            raise self.fail(f"function {name}() is not evaluated here")
        arguments = []
        if not self.accept(")"):
            arguments.append(self.expression())
            while self.accept(","):
                arguments.append(self.expression())
            self.expect(")")
        return _FUNCTIONS[name](*arguments)

    def reference_from(self, head: str) -> Any:
        path = [head]
        while True:
            if self.accept("."):
                kind, text = self.take()
                if kind != "ident":
                    raise self.fail("expected a name after '.'")
                path.append(text)
            elif self.peek() == ("op", "["):
                # `aws_x.y[0].attr`: the one instance of a counted resource.
                self.take()
                kind, text = self.take()
                if (kind, text) != ("number", "0"):
                    raise self.fail("only [0] of a counted resource is evaluated")
                self.expect("]")
            else:
                return self.values.reference(path)
