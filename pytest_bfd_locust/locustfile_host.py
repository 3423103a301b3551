"""Will the run have a host? Decided before any load, from the locustfile's text and the settings.

A suite whose HTTP users have no host used to fail only at run time (`FAILED api.py::api - no
host`), after pytest had started Locust. At collection the plugin cannot import the locustfile
(Locust's import monkey-patches the process with gevent), so the locustfile is read with `ast`:
a class is refused only when its text proves it has no host. Whatever the text cannot prove (a
base class from another module, `setattr`, a `host` assigned from outside the class, a star
import, a Locust option or config file that may set one) lets the suite through; the child's own
check at run time remains the backstop.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import Path

HTTP_USER_CLASSES: frozenset[str] = frozenset({"HttpUser", "FastHttpUser"})
"""Locust's user classes that need a host (`run/locust_api.uses_http` at run time)."""

LOCUST_MODULES: frozenset[str] = frozenset({"locust", "locust.contrib.fasthttp"})
"""Where a locustfile imports them from."""

LOCUST_HOST_VARIABLES: tuple[str, ...] = ("LOCUST_HOST", "LOCUST_CONFIG")
"""Locust's variables that can give the host (directly, or through a config file)."""

LOCUST_CONFIG_FILES: tuple[str, ...] = ("~/.locust.conf", "locust.conf", "pyproject.toml")
"""Locust's default config files (`locust.argument_parser.DEFAULT_CONFIG_FILES`), relative to the
directory Locust runs in; any of them may set `host`."""


def hostless_user_classes(source: str) -> tuple[str, ...]:
    """The locustfile's HTTP user classes that certainly set no host, in file order.

    Empty when every class has one, when none needs one, or when the text cannot tell.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()  # Locust reports it, with its line
    if _may_set_host_from_outside(tree):
        return ()
    imported = _locust_names(tree)
    if imported is None:
        return ()
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    hostless: list[str] = []
    for node in classes.values():
        if _is_abstract(node):
            continue
        answer = _host_need(node, classes, imported, seen=frozenset())
        if answer is None:
            return ()  # one class the text cannot judge: refuse nothing
        needs_host, has_host = answer
        if needs_host and not has_host:
            hostless.append(node.name)
    return tuple(hostless)


def missing_host_message(
    locustfile: Path,
    *,
    host: str | None,
    locust_args: Sequence[str],
    env: Mapping[str, str],
    run_directory: Path,
) -> str | None:
    """Why the suite cannot run (no host anywhere), or None when it may have one.

    `host` is the suite's or `--bfd-host`'s; `env` what the child's environment will hold;
    `run_directory` where Locust runs (its config files are read from there).
    """
    if host or locust_args or any(env.get(name) for name in LOCUST_HOST_VARIABLES):
        return None  # Locust options may set a host or pick other user classes: not ours to judge
    if any(_config_file_present(run_directory, name) for name in LOCUST_CONFIG_FILES):
        return None
    try:
        source = locustfile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # Locust says what is wrong with it
    hostless = hostless_user_classes(source)
    if not hostless:
        return None
    return (
        f"no host: user class(es) {', '.join(hostless)} in {locustfile.name} set none; set `host = "
        '"http://..."` on the class, `host:` in a catalog, or `--bfd-host URL`'
    )


def _config_file_present(directory: Path, name: str) -> bool:
    path = Path(name).expanduser() if name.startswith("~") else directory / name
    if not path.is_file():
        return False
    if path.name != "pyproject.toml":
        return True
    try:
        return "[tool.locust]" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True


def _may_set_host_from_outside(tree: ast.Module) -> bool:
    """`X.host = ...`, `setattr(...)`, a `host=` keyword, a star import: the text cannot tell."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "host" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            return True
        if isinstance(node, ast.keyword) and node.arg == "host":
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return True
    return False


def _locust_names(tree: ast.Module) -> tuple[frozenset[str], frozenset[str]] | None:
    """The names under which the module refers to Locust's HTTP user classes, and to its others.

    `from locust import HttpUser as H` gives `H`, `import locust` gives `locust.HttpUser`; None
    when an import is too unusual to follow.
    """
    http: set[str] = set()
    other: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in LOCUST_MODULES and node.level == 0:
            for alias in node.names:
                (http if alias.name in HTTP_USER_CLASSES else other).add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in LOCUST_MODULES:
                    if alias.asname is None and alias.name != "locust":
                        return None  # `import locust.contrib.fasthttp`: dotted bases, rare; not judged
                    prefix = alias.asname or alias.name
                    http.update(f"{prefix}.{cls}" for cls in HTTP_USER_CLASSES)
    return frozenset(http), frozenset(other)


def _base_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        return f"{base.value.id}.{base.attr}"
    return None


def _sets_host(node: ast.ClassDef) -> bool:
    for statement in node.body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        if any(isinstance(target, ast.Name) and target.id == "host" for target in targets):
            return True
    return False


def _is_abstract(node: ast.ClassDef) -> bool:
    """`abstract = True` in the class body: Locust never runs it (the flag is not inherited)."""
    return any(
        isinstance(statement, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "abstract" for target in statement.targets)
        and not (isinstance(statement.value, ast.Constant) and statement.value.value is False)
        for statement in node.body
    )


def _host_need(
    node: ast.ClassDef,
    classes: Mapping[str, ast.ClassDef],
    imported: tuple[frozenset[str], frozenset[str]],
    *,
    seen: frozenset[str],
) -> tuple[bool, bool] | None:
    """(is an HTTP user, sets a host itself or through a base in this file); None: cannot tell."""
    if node.keywords:
        return None  # a metaclass or class keywords: not judged
    http_names, other_locust_names = imported
    needs_host = False
    has_host = _sets_host(node)
    for base in node.bases:
        name = _base_name(base)
        if name is None:
            return None
        if name in http_names:
            needs_host = True
        elif name in classes and name not in seen:
            inherited = _host_need(classes[name], classes, imported, seen=seen | {node.name})
            if inherited is None:
                return None
            needs_host = needs_host or inherited[0]
            has_host = has_host or inherited[1]
        elif name not in other_locust_names and name != "object":
            return None  # a base from elsewhere may set a host (or need none)
    return needs_host, has_host
