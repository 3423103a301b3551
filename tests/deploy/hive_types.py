"""Hive column types (`struct<a:int,b:array<string>>`) read into a tree, and a JSON value checked
against one: what Athena's JSON SerDe would make of a stored record under the Glue table.

Test support only: it reads the types the template declares, so a column that does not fit the
record (a missing field, a field the record does not have, a number where a string is) is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRIMITIVES = frozenset({"string", "int", "bigint", "double", "boolean"})


@dataclass(frozen=True)
class HiveType:
    kind: str
    """A primitive name, `array` or `struct`."""
    element: HiveType | None = None
    fields: tuple[tuple[str, HiveType], ...] = ()


def parse_type(text: str) -> HiveType:
    parsed, end = _parse(text, 0)
    if end != len(text):
        raise ValueError(f"{text!r}: unexpected {text[end:]!r} at {end}")
    return parsed


def _parse(text: str, at: int) -> tuple[HiveType, int]:
    if text.startswith("array<", at):
        element, at = _parse(text, at + len("array<"))
        return HiveType("array", element=element), _expect(text, at, ">")
    if text.startswith("struct<", at):
        at += len("struct<")
        fields: list[tuple[str, HiveType]] = []
        while True:
            colon = text.index(":", at)
            name = text[at:colon]
            field_type, at = _parse(text, colon + 1)
            fields.append((name, field_type))
            if text.startswith(">", at):
                return HiveType("struct", fields=tuple(fields)), at + 1
            at = _expect(text, at, ",")
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    name = text[at:end]
    if name not in PRIMITIVES:
        raise ValueError(f"{text!r}: unknown type {name!r} at {at}")
    return HiveType(name), end


def _expect(text: str, at: int, token: str) -> int:
    if not text.startswith(token, at):
        raise ValueError(f"{text!r}: expected {token!r} at {at}, got {text[at : at + 10]!r}")
    return at + len(token)


def mismatches(value: Any, hive: HiveType, where: str) -> list[str]:
    """Every place where `value` (parsed JSON) and the type disagree, by field path; [] if none.

    A struct must declare every key of the object and the object must have every field of the
    struct (a field the record never writes would be a column of NULLs, i.e. a typo).
    """
    if value is None:
        return []
    if hive.kind == "struct":
        if not isinstance(value, dict):
            return [f"{where}: struct, but the record has {type(value).__name__}"]
        declared = dict(hive.fields)
        problems = [f"{where}.{key}: in the record, not in the table" for key in value if key not in declared]
        problems += [
            f"{where}.{name}: in the table, not in the record" for name in declared if name not in value
        ]
        for key, item in value.items():
            if key in declared:
                problems += mismatches(item, declared[key], f"{where}.{key}")
        return problems
    if hive.kind == "array":
        if not isinstance(value, list):
            return [f"{where}: array, but the record has {type(value).__name__}"]
        assert hive.element is not None
        return [
            problem
            for index, item in enumerate(value)
            for problem in mismatches(item, hive.element, f"{where}[{index}]")
        ]
    fits = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31,
        "bigint": isinstance(value, int) and not isinstance(value, bool),
        "double": isinstance(value, int | float) and not isinstance(value, bool),
    }[hive.kind]
    return [] if fits else [f"{where}: {hive.kind}, but the record has {value!r}"]
