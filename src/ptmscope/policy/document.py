"""An admission policy file, read strictly: every mistake is one error naming its line.

The file (``version: 1``, YAML) has three parts, all optional:

- ``checks``: target → ``{min: N}`` or ``{outcome: present}``, with ``mode: enforce |
  warn | off`` (OpenSSF Scorecard's policy shape). A target is ``overall``,
  ``coverage``, an attribute (``provenance``) or a probe id (``risk.pickle_weights``).
- ``rules``: ``id``, ``when`` (a CEL expression over the audit's JSON report, the
  variable ``audit``; the rule is violated when it is true), ``action: deny | warn``
  and ``reason``. Expressions are compiled when the file is read, so a typo is an
  error before any package is judged.
- ``templates``: built-in rules, one line each (:mod:`ptmscope.policy.templates`).

The shape is ``schemas/policy.schema.json``; the file's SHA-256 names the policy in
every decision.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.results.policy import Verdict
from ptmscope.scan.policy import Policy as ScanPolicy
from ptmscope.scan.policy import with_section

MAX_POLICY_BYTES = 1 << 20
"""Larger policy files are refused (a policy is a page of YAML)."""
MODES = ("enforce", "warn", "off")


@dataclass(frozen=True)
class Check:
    """A requirement on a score or a probe's outcome."""

    target: str
    minimum: float | None
    outcomes: tuple[str, ...]
    mode: str
    line: int


@dataclass(frozen=True)
class Rule:
    """A CEL rule (or a built-in template, whose ``when`` is empty)."""

    id: str
    when: str
    action: Verdict
    reason: str
    line: int
    template: str | None = None
    value: Any = None
    """A template's setting (its one line)."""


@dataclass(frozen=True)
class GatewaySettings:
    """What the registry gateway does besides the decision (the ``gateway:`` section).

    The content floor refuses single files whatever the decision: a scan finding at or
    above ``block`` (``none``: never), and files that could not be scanned completely.
    """

    block: str = "high"
    refuse_errors: bool = True
    on_error: str = "refuse"
    """A revision that cannot be judged: ``refuse`` every file of it, or ``warn`` (serve)."""


@dataclass(frozen=True)
class AdmissionPolicy:
    """A policy as read: its checks and rules, where it came from and its digest."""

    checks: tuple[Check, ...]
    rules: tuple[Rule, ...]
    digest: str
    origin: str
    scan: Mapping[str, Any] | None = None
    """The ``scan:`` section: rules on what loading a model file may import and call
    (``ptmscope scan --policy``'s shape), tried before ptmscope's defaults."""
    gateway: GatewaySettings = GatewaySettings()

    def scan_policy(self) -> ScanPolicy:
        """The scanner's rules: this policy's ``scan:`` section before the defaults."""
        return with_section(self.scan, self.origin)


def load_admission_policy(path: str | Path) -> AdmissionPolicy:
    """Read, validate and compile a policy file; an :class:`InputError` names the line."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such policy file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a policy is a YAML file, not a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the policy: {exc.strerror or exc}") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise InputError(f"{path}: {len(raw):,} bytes, larger than a policy can be")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc})") from None
    return parse_policy(text, str(path), hashlib.sha256(raw).hexdigest())


def parse_policy(text: str, origin: str, digest: str | None = None) -> AdmissionPolicy:
    """The policy in ``text`` (``origin`` names it in errors)."""
    data, lines = _read_yaml(text, origin)
    _finite(data, (), lines, origin)
    _validate(data, lines, origin)
    from ptmscope.policy.targets import known_target

    checks = []
    for target, spec in (data.get("checks") or {}).items():
        line = lines.get(("checks", target), 0)
        if not known_target(target):
            raise InputError(
                f"{origin}:{line}: checks.{target}: not a probe id, an attribute, `overall` "
                "or `coverage` (`ptmscope probes` lists the probes)"
            )
        outcomes = spec.get("outcome", ())
        checks.append(
            Check(
                target=str(target),
                minimum=float(spec["min"]) if "min" in spec else None,
                outcomes=(outcomes,) if isinstance(outcomes, str) else tuple(outcomes),
                mode=str(spec.get("mode", "enforce")),
                line=line,
            )
        )
    rules = []
    seen: set[str] = set()
    for index, spec in enumerate(data.get("rules") or []):
        line = lines.get(("rules", index), 0)
        if spec["id"] in seen:
            raise InputError(f"{origin}:{line}: rules: the id {spec['id']!r} is used twice")
        seen.add(spec["id"])
        _compile(spec["when"], origin, lines.get(("rules", index, "when"), line), spec["id"])
        rules.append(
            Rule(
                spec["id"], spec["when"], Verdict(spec.get("action", "deny")), spec["reason"], line
            )
        )
    from ptmscope.policy.templates import TEMPLATES

    for name, setting in (data.get("templates") or {}).items():
        line = lines.get(("templates", name), 0)
        value, mode = (
            (setting["value"], setting.get("mode", "enforce"))
            if isinstance(setting, dict) and "value" in setting
            else (setting, "enforce")
        )
        if mode == "off":
            continue
        _validate_bare(name, value, origin, line)
        template = TEMPLATES[name]
        problem = template.check_value(value)
        if problem:
            raise InputError(f"{origin}:{line}: templates.{name}: {problem}")
        action = Verdict.WARN if mode == "warn" else Verdict.DENY
        rules.append(
            Rule(f"templates.{name}", "", action, template.reason(value), line, name, value)
        )
    scan = data.get("scan")
    if scan is not None:  # the scanner's own reader checks the section now, not at first scan
        with_section(scan, f"{origin}:{lines.get(('scan',), 0)}")
    gateway = GatewaySettings(**(data.get("gateway") or {}))
    digest = digest or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return AdmissionPolicy(tuple(checks), tuple(rules), digest, origin, scan, gateway)


def _validate_bare(name: str, value: Any, origin: str, line: int) -> None:
    """A wrapped setting (``{value: x, mode: warn}``) meets the same schema as a bare ``x``:
    its bounds and its shape (``{deny: gpl-3.0}`` is not a list)."""
    import jsonschema

    schema = policy_schema()
    spec = schema["properties"]["templates"]["properties"][name]
    while "$ref" in spec:
        spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]]
    wrapped = {"$ref": "#/$defs/wrapped"}
    alternatives = [a for a in spec.get("oneOf", [spec]) if a != wrapped]
    bare = {"$defs": schema["$defs"], "oneOf": alternatives}
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(bare).iter_errors(value)
    )
    if error is not None:
        raise InputError(f"{origin}:{line}: templates.{name}: {_plain(error)}")


def _finite(data: Any, path: Path_, lines: Mapping[Path_, int], origin: str) -> None:
    """``.nan`` and ``.inf`` compare false (or true) with everything: a rule with one would
    never fire, so they are refused wherever they are."""
    if isinstance(data, float) and not math.isfinite(data):
        where = ".".join(str(p) for p in path) or "the top level"
        raise InputError(f"{origin}:{_line_of(path, lines)}: {where}: {data} is not a number")
    if isinstance(data, dict):
        for key, value in data.items():
            _finite(value, (*path, key), lines, origin)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _finite(value, (*path, index), lines, origin)


def _compile(expression: str, origin: str, line: int, rule: str) -> None:
    import cel

    try:
        cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        detail = str(exc).splitlines()[0]
        raise InputError(f"{origin}:{line}: rules.{rule}.when: not valid CEL: {detail}") from None


Path_ = tuple[Any, ...]


def _read_yaml(text: str, origin: str) -> tuple[dict[str, Any], dict[Path_, int]]:
    """The document as data, and the line (1-based) of every mapping key and list item."""
    import yaml

    from ptmscope.card.safe_yaml import load_yaml

    result = load_yaml(text)
    if result.error:
        raise InputError(f"{origin}: not valid YAML: {result.error}")
    if not isinstance(result.data, dict):
        raise InputError(f"{origin}: a policy is a YAML mapping (`version: 1`, `checks`, …)")
    lines: dict[Path_, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        node = None
    if node is not None:
        _mark(node, (), lines, 0, origin)
    return result.data, lines


def _mark(node: Any, path: Path_, lines: dict[Path_, int], depth: int, origin: str) -> None:
    """Record each key's and item's line; a key given twice in one mapping is an error (YAML
    keeps the last, which would silently drop the first section's rules)."""
    import yaml

    if depth > 64:
        return
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            here = (*path, key.value)
            if key.value in seen and key.tag != "tag:yaml.org,2002:merge":
                where = ".".join(str(p) for p in here)
                raise InputError(
                    f"{origin}:{key.start_mark.line + 1}: {where}: duplicate key (given twice; "
                    "YAML would keep only the last)"
                )
            seen.add(key.value)
            lines.setdefault(here, key.start_mark.line + 1)
            _mark(value, here, lines, depth + 1, origin)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, index)
            lines.setdefault(here, item.start_mark.line + 1)
            _mark(item, here, lines, depth + 1, origin)


def _validate(data: Mapping[str, Any], lines: Mapping[Path_, int], origin: str) -> None:
    """Against the shipped JSON Schema; the first error, at its line, in plain words."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(policy_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    problem = _plain(error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(str(k) for k in error.instance if k not in known)
        if extra:
            path, problem = (*path, extra[0]), f"unknown key (known: {', '.join(known)})"
    line = _line_of(path, lines)
    where = ".".join(str(p) for p in path) or "the top level"
    raise InputError(f"{origin}:{line}: {where}: {problem}")


def _line_of(path: Sequence[Any], lines: Mapping[Path_, int]) -> int:
    for end in range(len(path), 0, -1):
        if tuple(path[:end]) in lines:
            return lines[tuple(path[:end])]
    return 1


def _plain(error: Any) -> str:
    if error.validator == "additionalProperties":
        return str(error.message).replace("Additional properties are not allowed", "unknown key")
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    return str(error.message)


def policy_schema() -> dict[str, Any]:
    """The policy file's JSON Schema, as shipped (``schemas/policy.schema.json``)."""
    text = (resources.files("ptmscope") / "schemas" / "policy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
