"""The GitHub Actions runner's own rules, applied as the runner applies them.

The rules are data vendored from actions/runner (``data/actions-runner/runner-rules.json``,
see ``scripts/vendor_runner_rules.py``); this module only interprets them:

- :func:`check_action_metadata` reads an ``action.yml`` document through the runner's template
  schema as ``TemplateReader`` does: a string containing ``${{`` is parsed as expressions, each
  named-value and function must be allowed by the contexts the schema names on the way down to
  that value, and an expression where the schema names no context is refused ("expressions are
  not allowed here"). The runner refuses to load the action on any such problem.
- :func:`evaluate_condition` evaluates a step condition (``post-if``, ``pre-if``) with the
  status functions the runner registers, adding ``success() &&`` when none is called.
- :func:`parse_command` / :func:`workflow_commands` find the workflow commands in a step's
  output lines: ``::name props::data`` at the start of a line (``TryParseV2``), else the legacy
  ``##[name props]data`` anywhere in it (``TryParse``), with ``stop-commands`` honoured.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

RULES: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "actions-runner" / "runner-rules.json").read_text()
)
DEFINITIONS: dict[str, Any] = RULES["action-yaml"]["definitions"]
COMMANDS = frozenset(name.lower() for name in RULES["workflow-commands"])
WELL_KNOWN_FUNCTIONS = {name.lower(): bounds for name, bounds in RULES["expression-functions"].items()}
STATUS_FUNCTIONS = {name.lower(): bounds for name, bounds in RULES["condition-functions"].items()}
# A context entry such as "hashFiles(1,255)" names a function and its argument counts.
_FUNCTION_CONTEXT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((\d+),(\d+|MAX)\)$")
_KEYWORDS = frozenset({"true", "false", "null", "nan", "infinity"})
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>!.\[\](),*]))"
)


# --- expressions ----------------------------------------------------------------------------------
class Token(NamedTuple):
    kind: str  # string, number, name, op
    text: str


def tokenize(expression: str) -> list[Token]:
    """Split an expression into tokens; raises ValueError on a character the runner's lexer refuses."""
    tokens: list[Token] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"Unexpected symbol: '{text[position:].strip()[:20]}'")
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


def _arguments(tokens: list[Token], open_index: int) -> int:
    """The number of arguments of the call whose ``(`` is at ``open_index``."""
    depth, count, empty = 0, 0, True
    for token in tokens[open_index:]:
        if token.text in ("(", "["):
            depth += 1
            if depth == 1:
                continue
        elif token.text in (")", "]"):
            depth -= 1
            if depth == 0:
                return count + (0 if empty else 1)
        elif token.text == "," and depth == 1:
            count += 1
            continue
        empty = False
    raise ValueError("Unexpected end of expression")


def check_expression(expression: str, allowed: frozenset[str]) -> list[str]:
    """Problems the runner reports for one expression under the allowed contexts (empty when valid)."""
    named = {entry.lower() for entry in allowed if not _FUNCTION_CONTEXT.match(entry)}
    functions = dict(WELL_KNOWN_FUNCTIONS)
    for entry in allowed:
        match = _FUNCTION_CONTEXT.match(entry)
        if match:
            high = None if match.group(3) == "MAX" else int(match.group(3))
            functions[match.group(1).lower()] = [int(match.group(2)), high]
    try:
        tokens = tokenize(expression)
    except ValueError as error:
        return [str(error)]
    if not tokens:
        return ["Expected an expression"]
    problems = []
    for index, token in enumerate(tokens):
        if token.kind != "name" or (index > 0 and tokens[index - 1].text == "."):
            continue
        calls = index + 1 < len(tokens) and tokens[index + 1].text == "("
        if calls:
            bounds = functions.get(token.text.lower())
            if bounds is None:
                problems.append(f"Unrecognized function: '{token.text}'")
                continue
            count = _arguments(tokens, index + 1)
            low, high = bounds
            if count < low or (high is not None and count > high):
                problems.append(f"Wrong number of arguments to '{token.text}': {count}")
        elif token.text.lower() not in _KEYWORDS and token.text.lower() not in named:
            problems.append(f"Unrecognized named-value: '{token.text}'")
    return problems


def expressions_in(raw: str) -> tuple[list[str], str | None]:
    """The ``${{ }}`` expressions of a string value, found as the template reader finds them.

    Returns ``(expressions, error)``: an expression ends at the first ``}}`` outside a
    single-quoted string; an unclosed one is an error.
    """
    found: list[str] = []
    start = raw.find("${{")
    while start >= 0:
        in_string, end = False, -1
        i = start + 3
        while i < len(raw):
            if raw[i] == "'":
                in_string = not in_string
            elif not in_string and raw[i] == "}" and raw[i - 1] == "}":
                end = i
                break
            i += 1
        if end < 0:
            return found, "The expression is not closed. An unescaped ${{ sequence was found, but the closing }} "
        found.append(raw[start + 3 : end - 1])
        start = raw.find("${{", end + 1)
    return found, None


# --- action.yml through the template schema -----------------------------------------------------
BUILTIN_SCALARS = frozenset({"string", "boolean", "number", "null"})


@dataclass
class MetadataCheck:
    problems: list[str] = field(default_factory=list)

    def scalar(self, value: Any, allowed: frozenset[str], where: str) -> None:
        if not isinstance(value, str) or "${{" not in value:
            return
        expressions, error = expressions_in(value)
        if error:
            self.problems.append(f"{where}: {error}")
            return
        literal = len(expressions) == 1 and value.strip() == "${{" + expressions[0] + "}}"
        if literal and re.fullmatch(r"\s*'(?:[^']|'')*'\s*", expressions[0]):
            return  # ${{ 'text' }} is read as the literal text
        for expression in expressions:
            self.problems += [f"{where}: {problem}" for problem in check_expression(expression, allowed)]
        if not allowed:
            self.problems.append(f"{where}: expressions are not allowed here")

    def value(self, value: Any, name: str, allowed: frozenset[str], where: str) -> None:
        if name == "any" and isinstance(value, (dict, list)):
            self.any(value, allowed, where)
            return
        if name == "any" or name in BUILTIN_SCALARS:
            self.scalar(value, allowed, where)
            return
        definition = DEFINITIONS[name]
        allowed = allowed | frozenset(definition.get("context", ()))
        if "one-of" in definition:
            options = definition["one-of"]
            chosen = next((option for option in options if self.fits(value, option)), None)
            if chosen is None:
                self.problems.append(f"{where}: matches none of {options}")
                return
            self.value(value, chosen, allowed, where)
            return
        if isinstance(value, dict):
            mapping = definition.get("mapping")
            if mapping is None:
                self.problems.append(f"{where}: a mapping is not allowed here")
                return
            properties = mapping.get("properties", {})
            for key, item in value.items():
                self.scalar(key, allowed if mapping.get("loose-key-type") else frozenset(), f"{where}.{key} (key)")
                spec = properties.get(key, mapping.get("loose-value-type"))
                if spec is None:
                    self.problems.append(f"{where}: unexpected key '{key}'")
                    continue
                self.value(item, spec["type"] if isinstance(spec, dict) else spec, allowed, f"{where}.{key}")
            return
        if isinstance(value, list):
            sequence = definition.get("sequence")
            if sequence is None:
                self.problems.append(f"{where}: a sequence is not allowed here")
                return
            for index, item in enumerate(value):
                self.value(item, sequence["item-type"], allowed, f"{where}[{index}]")
            return
        string = definition.get("string")
        if string is not None and string.get("require-non-empty") and value in ("", None):
            self.problems.append(f"{where}: an empty value is not allowed here")
        self.scalar(value, allowed, where)

    def any(self, value: Any, allowed: frozenset[str], where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                self.value(item, "any", allowed, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.value(item, "any", allowed, f"{where}[{index}]")

    @staticmethod
    def fits(value: Any, name: str) -> bool:
        """Whether ``value`` is of the shape of definition ``name`` (for ``one-of``)."""
        definition = DEFINITIONS.get(name, {})
        if isinstance(value, dict):
            mapping = definition.get("mapping")
            return mapping is not None and set(value) <= set(mapping.get("properties", {}))
        if isinstance(value, list):
            return "sequence" in definition
        return "string" in definition


def check_action_metadata(document: Any) -> list[str]:
    """Every problem that stops the runner from loading this action.yml (empty when it loads)."""
    check = MetadataCheck()
    check.value(document, "action-root", frozenset(), "action.yml")
    return check.problems


# --- conditions ----------------------------------------------------------------------------------
class _Condition:
    """A small evaluator for step conditions: ``&&``, ``||``, ``!``, ``==``, ``!=``, calls, ``.``."""

    def __init__(self, tokens: list[Token], contexts: dict[str, Any], status: str) -> None:
        self.tokens, self.contexts, self.status, self.at = tokens, contexts, status, 0

    def peek(self) -> str:
        return self.tokens[self.at].text if self.at < len(self.tokens) else ""

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse_or(self) -> Any:
        left = self.parse_and()
        while self.peek() == "||":
            self.take()
            right = self.parse_and()
            left = left if _truthy(left) else right
        return left

    def parse_and(self) -> Any:
        left = self.parse_equality()
        while self.peek() == "&&":
            self.take()
            right = self.parse_equality()
            left = right if _truthy(left) else left
        return left

    def parse_equality(self) -> Any:
        left = self.parse_unary()
        while self.peek() in ("==", "!="):
            operator = self.take().text
            right = self.parse_unary()
            same = _equal(left, right)
            left = same if operator == "==" else not same
        return left

    def parse_unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Any:
        token = self.take()
        if token.text == "(":
            value = self.parse_or()
            self.take()
            return value
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "number":
            return float(int(token.text, 16) if token.text.startswith("0x") else float(token.text))
        name = token.text.lower()
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                self.take()
            self.take()
            if name not in STATUS_FUNCTIONS:
                raise ValueError(f"cannot evaluate function '{token.text}' here")
            return {
                "always": True,
                "success": self.status == "success",
                "failure": self.status == "failure",
                "cancelled": self.status == "cancelled",
            }[name]
        found: Any = {"true": True, "false": False, "null": None}.get(name, self.contexts.get(name))
        while self.peek() == ".":
            self.take()
            key = self.take().text.lower()
            found = found.get(key) if isinstance(found, dict) else None
        return found


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()  # the runner compares strings ignoring case
    return bool(left == right)


def evaluate_condition(condition: str, *, status: str = "success", runner_os: str = "Linux") -> bool:
    """Evaluate a step condition as the runner does for a job in ``status`` on ``runner_os``.

    A condition that calls no status function is evaluated as ``success() && (condition)``.
    ``status`` is ``success``, ``failure`` or ``cancelled``.
    """
    tokens = tokenize(condition)
    calls_status = any(
        tokens[i].kind == "name" and tokens[i].text.lower() in STATUS_FUNCTIONS and tokens[i + 1].text == "("
        for i in range(len(tokens) - 1)
    )
    if not calls_status:
        tokens = [*tokenize("success() && ("), *tokens, Token("op", ")")]
    contexts = {"runner": {"os": runner_os}}
    return _truthy(_Condition(tokens, contexts, status).parse_or())


# --- workflow commands in a step's output ------------------------------------------------------
class Command(NamedTuple):
    name: str
    properties: dict[str, str]
    data: str


def _unescape(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in pairs:
        text = text.replace(escaped, plain)
    return text


_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))


def parse_command(line: str, registered: frozenset[str] = COMMANDS) -> Command | None:
    """The command the runner reads in one output line, or None (ActionCommand.TryParseV2, then TryParse)."""
    message = line.lstrip()
    if message.startswith("::"):
        end = message.find("::", 2)
        if end >= 0:
            info = message[2:end]
            name, _, props = info.partition(" ")
            if name.lower() in registered:
                properties = {}
                for item in props.strip().split(","):
                    key, sep, value = item.partition("=")
                    if sep and key and value:
                        properties[key] = _unescape(value, _PROPERTY)
                return Command(name.lower(), properties, _unescape(message[end + 2 :], _DATA))
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name, _, props = line[start + 3 : close].partition(" ")
            if name.lower() in registered:
                properties = {}
                for item in props.split(";"):
                    key, sep, value = item.partition("=")
                    if sep and key and value:
                        properties[key] = _unescape(value, _LEGACY)
                return Command(name.lower(), properties, _unescape(line[close + 1 :], _LEGACY))
    return None


def output_lines(text: str) -> list[str]:
    """A step's output split as the runner reads it (.NET ``ReadLine``: CR, LF or CRLF end a line)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def workflow_commands(text: str) -> Iterator[tuple[str, Command | None]]:
    """Each output line with the command the runner acts on (None for plain text).

    After ``stop-commands`` with a token, only a command named by that token is acted on
    (and it resumes processing), as in ActionCommandManager.TryProcessCommand.
    """
    stop_token: str | None = None
    for line in output_lines(text):
        registered = COMMANDS | ({stop_token.lower()} if stop_token else frozenset())
        command = parse_command(line, registered)
        if command is not None and stop_token is not None:
            if command.name == stop_token.lower():
                stop_token = None
            command = None  # ignored while commands are stopped
        elif command is not None and command.name == "stop-commands":
            stop_token = command.data
        yield line, command
