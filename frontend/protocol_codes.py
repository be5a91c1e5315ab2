"""The WebSocket close codes and error codes, read from the server's own definitions for the scripts.

``static/frontend/codes.js`` is written from here by ``manage.py js_codes`` and a test fails when it is
out of date, so the browser never keeps its own copy of a number or a code name.

- Close codes are the ``CLOSE_*`` constants of ``quiz.protocol``. Which of them mean "do not reconnect" is
  the client's policy (``FINAL_CLOSES`` below): the session is gone for good, not the connection.
- Error codes are every stable code the server can put in an ``error`` frame: the codes documented in
  ``docs/protocol.md`` (section 8, the contract), and every code the quiz raises. The refusals carry their
  code as the first argument (``QuizError("wrong_pin", "...")``): every class of the ``quiz`` package whose
  ``__init__`` takes ``code`` first is a refusal (so are its subclasses, wherever they are), and every call
  of one with a literal code, in ``quiz`` or in the competition code that hooks into it, is a code the
  server can send. Reading the source as well as the table means a new refusal cannot be forgotten here;
  the translations test then asks for its message in both languages.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

from quiz import protocol

# The package that defines the refusals sent over the sockets, and the packages that may raise them.
REFUSAL_PACKAGE = "quiz"
SCANNED_PACKAGES = ("quiz", "competition")
SKIPPED_DIRS = {"tests", "migrations", "__pycache__"}
# Close codes after which reconnecting cannot help: logged out, forbidden or removed, no such round.
FINAL_CLOSES = ("UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND")

REPO_ROOT = Path(__file__).resolve().parent.parent
CODES_JS = Path(__file__).resolve().parent / "static" / "frontend" / "codes.js"
PROTOCOL_DOC = REPO_ROOT / "docs" / "protocol.md"
ERROR_TABLE_HEADING = "## 8. Error codes"


def close_codes() -> dict[str, int]:
    """``{"UNAUTHENTICATED": 4001, ...}`` from ``quiz.protocol.CLOSE_*``, in code order."""
    found = {
        name.removeprefix("CLOSE_"): value
        for name, value in vars(protocol).items()
        if name.startswith("CLOSE_") and isinstance(value, int)
    }
    return dict(sorted(found.items(), key=lambda item: item[1]))


def documented_error_codes(text: str | None = None) -> tuple[str, ...]:
    """The codes in the first column of the error-code table of ``docs/protocol.md``."""
    text = PROTOCOL_DOC.read_text(encoding="utf-8") if text is None else text
    _, found, section = text.partition(ERROR_TABLE_HEADING)
    if not found:
        raise LookupError(f"docs/protocol.md has no {ERROR_TABLE_HEADING!r} section")
    section = section.split("\n## ", 1)[0]
    codes = []
    for line in section.splitlines():
        match = re.match(r"\|\s*`([a-z][a-z0-9_]*)`\s*\|", line)
        if match:
            codes.append(match.group(1))
    return tuple(codes)


def _sources() -> list[tuple[str, ast.Module]]:
    """(package, module tree) for every module of the scanned packages, tests and migrations aside."""
    trees = []
    for package in SCANNED_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if SKIPPED_DIRS.intersection(path.relative_to(REPO_ROOT).parts):
                continue
            trees.append((package, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return trees


def _callee_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _takes_code_first(cls: ast.ClassDef) -> bool:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            params = [a.arg for a in item.args.posonlyargs + item.args.args]
            return len(params) >= 2 and params[1] == "code"
    return False


def refusal_classes(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """Names of the ``quiz`` exception classes that carry a stable ``code``, with their subclasses."""
    classes = [
        (package, node)
        for package, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    names = {cls.name for package, cls in classes if package == REFUSAL_PACKAGE and _takes_code_first(cls)}
    grew = True
    while grew:
        grew = False
        for _, cls in classes:
            if cls.name not in names and any(_callee_name(base) in names for base in cls.bases):
                names.add(cls.name)
                grew = True
    return names


def raised_error_codes() -> set[str]:
    """Every literal code a refusal is raised with."""
    trees = _sources()
    refusals = refusal_classes(trees)
    codes: set[str] = set()
    for _, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _callee_name(node.func) not in refusals:
                continue
            code = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "code":
                    code = keyword.value
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                codes.add(code.value)
    return codes


@cache
def error_codes() -> tuple[str, ...]:
    """Every code the server can send in an ``error`` frame, documented or raised, sorted."""
    return tuple(sorted(raised_error_codes().union(documented_error_codes())))


def render_codes_js() -> str:
    """The text of ``codes.js``: the same output for the same definitions, so staleness is a diff."""
    closes = close_codes()
    missing = [name for name in FINAL_CLOSES if name not in closes]
    if missing:
        raise LookupError(f"quiz.protocol has no CLOSE_{missing[0]}")
    close_lines = "".join(f"  {name}: {value},\n" for name, value in closes.items())
    final = ", ".join(f"CLOSE.{name}" for name in FINAL_CLOSES)
    error_lines = "".join(f"  {code}: {json.dumps(code)},\n" for code in error_codes())
    return (
        "// Generated by `manage.py js_codes` from quiz.protocol and the server's refusals: do not edit.\n"
        "// tests/frontend/test_codes.py fails when this file is out of date.\n"
        "\n"
        "/** WebSocket close codes the server uses. */\n"
        "export const CLOSE = Object.freeze({\n"
        f"{close_lines}"
        "});\n"
        "\n"
        "/** Closes after which reconnecting cannot help: logged out, forbidden or removed, no round. */\n"
        f"export const FINAL_CLOSE_CODES = new Set([{final}]);\n"
        "\n"
        "/** Every code the server can send in an `error` frame: compare with ERROR.x, not a string. */\n"
        "export const ERROR = Object.freeze({\n"
        f"{error_lines}"
        "});\n"
    )
