"""The scan policy: which callables loading a model may touch, as data.

The default policy ships as ``data/scan_policy.yaml``; a user file given with
``--policy`` is read the same way and tried first, so an organisation can allow
its own classes or forbid more without editing ours. Rules are ordered and the
first match wins, which keeps a decision explainable: every finding names the
rule's reason.
"""

from __future__ import annotations

import _compat_pickle
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from ptmscope.errors import InputError
from ptmscope.severity import Severity

_ALIASES = {
    **_compat_pickle.IMPORT_MAPPING,
    "__builtin__": "builtins",
    "copy_reg": "copyreg",
    "cPickle": "pickle",
}


class Kind(StrEnum):
    """What a name is. Never imported to find out: a class when a pickle instantiates it
    with ``NEWOBJ`` (which only takes types) or hands it to a reconstructor, else by its
    last part's spelling (``CamelCase``: a class), which is what the library chose."""

    CLASS = "class"
    FUNCTION = "function"


class Use(StrEnum):
    """What loading does with a name, from least to most open-ended."""

    REFERENCED = "referenced"
    """Imported and kept (a dtype, a scorer function held as data); nothing is called."""
    CONSTRUCTED = "constructed"
    """Instantiated as data: ``NEWOBJ`` (``cls.__new__``) or a reconstructor
    (``copyreg._reconstructor``), then its state set."""
    CALLED = "called"
    """Called with arguments the file chooses (``REDUCE``, ``INST``, ``OBJ``)."""


def kind_of(target: str, use: Use | None = None) -> Kind:
    """A name's kind: a class if constructed or spelled like one."""
    if use is Use.CONSTRUCTED or target.rsplit(".", 1)[-1][:1].isupper():
        return Kind.CLASS
    return Kind.FUNCTION


@dataclass(frozen=True)
class Rule:
    """Allow a set of names, or give them a severity, a category and a reason.

    ``kinds`` and ``uses`` narrow a rule to what it names: a namespace allowed for the
    classes it holds as data does not allow every function in it to be called.
    """

    patterns: tuple[str, ...]
    allow: bool
    severity: Severity
    category: str
    reason: str
    origin: str
    """Which policy file the rule came from."""
    kinds: frozenset[Kind] | None = None
    """``None``: any kind."""
    uses: frozenset[Use] | None = None
    """``None``: any use."""

    def matches(self, target: str) -> bool:
        return self._matcher.matches(target)

    def accepts(self, kind: Kind | None, use: Use | None) -> bool:
        """Whether the rule covers this kind and use (``None``: unknown, as for a name a
        config references, which the rule is taken to cover)."""
        return (self.kinds is None or kind is None or kind in self.kinds) and (
            self.uses is None or use is None or use in self.uses
        )

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher.build(self.patterns)


class _Matcher:
    """A rule's patterns, matched fast at any scale: a hostile pickle can name a million
    distinct callables (trying hundreds of ``fnmatch`` patterns on each took 1 ms a name),
    while a typical file names a few and should not pay for compiling every rule's globs.

    ``*``-only globs are matched by hand for the first :data:`HAND_MATCHES` names, then
    compiled into one regular expression; globs with ``?`` or ``[`` are compiled on first use.
    """

    __slots__ = ("_calls", "_regex", "exact", "parts", "stems", "tricky")

    def __init__(
        self,
        exact: frozenset[str],
        stems: frozenset[str],
        parts: tuple[tuple[str, ...], ...],
        tricky: tuple[str, ...],
    ) -> None:
        self.exact = exact
        self.stems = stems
        """``stem.*`` patterns: the stem itself or anything inside it."""
        self.parts = parts
        """``*``-only globs, split at their stars."""
        self.tricky = tricky
        """Globs with ``?`` or ``[``: always through ``fnmatch``'s translation."""
        self._calls = 0
        self._regex: re.Pattern[str] | None = None

    @classmethod
    def build(cls, patterns: Sequence[str]) -> _Matcher:
        exact, stems, parts, tricky = set(), set(), [], []
        for pattern in patterns:
            if pattern.endswith(".*") and not any(c in pattern[:-2] for c in "*?["):
                stems.add(pattern[:-2])
            elif "?" in pattern or "[" in pattern:
                tricky.append(pattern)
            elif "*" in pattern:
                parts.append(tuple(pattern.split("*")))
            else:
                exact.add(pattern)
        return cls(frozenset(exact), frozenset(stems), tuple(parts), tuple(tricky))

    def matches(self, target: str) -> bool:
        if target in self.exact:
            return True
        if self.stems:
            if target in self.stems:
                return True
            dot = target.find(".")
            while dot >= 0:
                if target[:dot] in self.stems:
                    return True
                dot = target.find(".", dot + 1)
        if not self.parts and not self.tricky:
            return False
        self._calls += 1
        if self._calls <= HAND_MATCHES and not self.tricky:
            return any(_star_match(p, target) for p in self.parts)
        if self._regex is None:
            globs = ["*".join(p) for p in self.parts] + list(self.tricky)
            self._regex = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))
        return self._regex.match(target) is not None


HAND_MATCHES = 256
"""Names matched by hand against a rule's ``*`` globs before they are compiled."""


def _star_match(parts: tuple[str, ...], target: str) -> bool:
    """``fnmatch`` for a glob whose only wildcard is ``*`` (split at its stars): the first
    part is a prefix, the last a suffix, the others found in order in between."""
    first, last = parts[0], parts[-1]
    if len(target) < len(first) + len(last) or not target.startswith(first):
        return False
    pos = len(first)
    for part in parts[1:-1]:
        at = target.find(part, pos)
        if at < 0:
            return False
        pos = at + len(part)
    return len(target) - pos >= len(last) and target.endswith(last)


class Decision(NamedTuple):
    """The rule that matched a name first (or none)."""

    target: str
    rule: Rule | None
    """``None``: no rule matched and the policy defaults apply."""
    kind: Kind | None = None
    use: Use | None = None

    @property
    def allowed(self) -> bool:
        return self.rule is not None and self.rule.allow


class OpRule(NamedTuple):
    """How a TensorFlow op the policy names is reported."""

    severity: Severity
    reason: str


@dataclass(frozen=True)
class PickleRules:
    """The policy's data about nested loads, as the pickle interpreter needs it.

    The interpreter follows payloads through these names (what a call would load,
    inflate or wrap) but never judges them: severities stay with :class:`Policy`.
    """

    loaders: Mapping[str, str] = field(default_factory=dict)
    """Target → payload kind (``pickle`` or ``marshal``) for nested deserializers."""
    calls_arguments: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Allowed callables that call some of their arguments (by index)."""
    constructs_arguments: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Reconstructors that instantiate some of their arguments (by index) as data."""
    decompressors: Mapping[str, str] = field(default_factory=dict)
    """Target → codec: a call whose literal argument is inflated to reach the payload."""
    byte_wrappers: frozenset[str] = frozenset()
    """Calls that hand their first argument's bytes on unchanged (``io.BytesIO``)."""
    array_wrappers: frozenset[str] = frozenset()
    """joblib array wrappers: raw array bytes follow their ``BUILD`` in the stream."""


@dataclass(frozen=True)
class Policy:
    """Ordered rules, defaults for unlisted names, and the data readers need (loaders, ops)."""

    rules: tuple[Rule, ...]
    called: Severity
    imported: Severity
    called_class: Severity = Severity.MEDIUM
    loaders: Mapping[str, str] = field(default_factory=dict)
    """Target → payload kind (``pickle`` or ``marshal``) for nested deserializers."""
    calls_arguments: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    constructs_arguments: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    tensorflow_ops: Mapping[str, OpRule] = field(default_factory=dict)
    onnx_domains: frozenset[str] = frozenset()
    decompressors: Mapping[str, str] = field(default_factory=dict)
    """Target → codec of decompressing calls (see :class:`PickleRules`)."""
    byte_wrappers: frozenset[str] = frozenset()
    array_wrappers: frozenset[str] = frozenset()

    @cached_property
    def pickle(self) -> PickleRules:
        """What the pickle interpreter follows nested loads through."""
        return PickleRules(
            self.loaders,
            self.calls_arguments,
            self.constructs_arguments,
            self.decompressors,
            self.byte_wrappers,
            self.array_wrappers,
        )

    def decide(self, target: str, kind: Kind | None = None, use: Use | None = None) -> Decision:
        """The first rule that names ``target`` and covers its kind and use."""
        return _decide(self, target, kind, use)

    def severity_for(self, decision: Decision, called: bool | Use) -> Severity | None:
        """``None`` when allowed; otherwise the rule's severity or the default for the use."""
        if decision.rule is not None:
            return None if decision.rule.allow else decision.rule.severity
        use = called if isinstance(called, Use) else Use.CALLED if called else Use.REFERENCED
        if use is Use.REFERENCED:
            return self.imported
        kind = decision.kind or kind_of(decision.target, use)
        return self.called_class if kind is Kind.CLASS else self.called

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@lru_cache(maxsize=1 << 16)
def _decide(policy: Policy, target: str, kind: Kind | None, use: Use | None) -> Decision:
    for rule in policy.rules:
        if rule.accepts(kind, use) and rule.matches(target):
            return Decision(target, rule, kind, use)
    return Decision(target, None, kind, use)


def normalize(module: str, name: str) -> str:
    """``module.qualname`` with Python 2 names mapped as the unpickler maps them."""
    mapped = _compat_pickle.NAME_MAPPING.get((module, name))
    if mapped is not None:
        module, name = mapped
    module = _ALIASES.get(module, module)
    return f"{module}.{name}" if name else module


def _severity(text: Any, where: str) -> Severity:
    try:
        return Severity.parse(str(text))
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{where}: expected a name or a list of names")


CODECS = ("zlib", "gzip", "bzip2", "xz", "lzma")
"""Codecs a ``decompressors`` entry may name (those the bounded inflater knows)."""


def _parse(data: Any, origin: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"{origin}: a policy is a YAML mapping")
    unknown = set(data) - {
        "version", "defaults", "rules", "loaders", "calls_arguments", "constructs_arguments",
        "tensorflow_ops", "onnx_domains", "decompressors", "byte_wrappers", "array_wrappers",
    }  # fmt: skip
    unknown = {key for key in unknown if not str(key).endswith(RULES_SUFFIX)}
    if unknown:
        raise InputError(f"{origin}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    rules: list[Rule] = []
    for key in [k for k in data if k == "rules" or str(k).endswith(RULES_SUFFIX)]:
        if not isinstance(data[key] or [], list):
            raise InputError(f"{origin}: `{key}` is a list of rules")
        for index, raw in enumerate(data[key] or []):
            rules.append(_rule(raw, f"{origin}: {key}[{index}]", origin))
    parsed: dict[str, Any] = {"rules": rules}
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError(f"{origin}: `defaults` is a mapping")
    for key in ("called", "called_class", "imported"):
        if key in defaults:
            parsed[key] = _severity(defaults[key], f"{origin}: defaults.{key}")
    loaders: dict[str, str] = {}
    for kind, names in (data.get("loaders") or {}).items():
        for name in _strings(names, f"{origin}: loaders.{kind}"):
            loaders[name] = str(kind)
    parsed["loaders"] = loaders
    for key in ("calls_arguments", "constructs_arguments"):
        calls: dict[str, tuple[int, ...]] = {}
        for name, indices in (data.get(key) or {}).items():
            if not isinstance(indices, list) or not all(isinstance(i, int) for i in indices):
                raise InputError(f"{origin}: {key}.{name} is a list of argument indices")
            calls[str(name)] = tuple(indices)
        parsed[key] = calls
    ops: dict[str, OpRule] = {}
    for level, spec in (data.get("tensorflow_ops") or {}).items():
        if not isinstance(spec, dict):
            raise InputError(f"{origin}: tensorflow_ops.{level} is a mapping")
        rule = OpRule(_severity(level, f"{origin}: tensorflow_ops"), str(spec.get("reason", "")))
        for op in _strings(spec.get("ops", []), f"{origin}: tensorflow_ops.{level}.ops"):
            ops[op] = rule
    parsed["tensorflow_ops"] = ops
    parsed["onnx_domains"] = set(_strings(data.get("onnx_domains", []), f"{origin}: onnx_domains"))
    decompressors: dict[str, str] = {}
    raw_codecs = data.get("decompressors") or {}
    if not isinstance(raw_codecs, dict):
        raise InputError(f"{origin}: `decompressors` maps a codec to names")
    for codec, names in raw_codecs.items():
        if str(codec) not in CODECS:
            raise InputError(f"{origin}: decompressors.{codec}: one of {', '.join(CODECS)}")
        for name in _strings(names, f"{origin}: decompressors.{codec}"):
            decompressors[name] = str(codec)
    parsed["decompressors"] = decompressors
    for key in ("byte_wrappers", "array_wrappers"):
        parsed[key] = set(_strings(data.get(key, []), f"{origin}: {key}"))
    return parsed


RULES_SUFFIX = "_rules"
"""Top-level keys ending so (``pickle_rules:``) hold more rules, tried after ``rules`` in
file order: a block of its own at the end of the file for each part of the scanner."""


def _choices(raw: dict[str, Any], key: str, enum: type[Kind] | type[Use], where: str) -> Any:
    if raw.get(key) is None:
        return None
    names = _strings(raw[key], f"{where}.{key}")
    try:
        return frozenset(enum(name) for name in names)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InputError(f"{where}.{key}: one or more of {allowed}") from None


RULE_KEYS = frozenset({"match", "allow", "severity", "category", "reason", "kind", "use", "unsafe"})
"""What a rule may say; anything else is a typo that would otherwise change nothing."""


CODE_EXECUTION = (
    "builtins.eval", "builtins.exec", "builtins.__import__", "builtins.compile",
    "os.system", "posix.system", "nt.system", "subprocess.Popen", "runpy.run_path",
)  # fmt: skip
"""Callables that run arbitrary code: an allow rule that covers one (``*``, ``os.*``) is
refused unless it says ``unsafe: true``, so a broad glob never silences code execution by
accident."""


def _rule(raw: Any, where: str, origin: str) -> Rule:
    """One rule, read strictly: a rule that silently meant something else than its author
    wrote (a misspelt key, a pattern string split nowhere, no reason to report) is an error."""
    if not isinstance(raw, dict) or "match" not in raw:
        raise InputError(f"{where}: each rule needs `match`")
    unknown = sorted(map(str, set(raw) - RULE_KEYS))
    if unknown:
        raise InputError(
            f"{where}: unknown keys {', '.join(unknown)} (a rule has {', '.join(sorted(RULE_KEYS))})"
        )
    match = raw["match"]
    if not isinstance(match, list) or not match or not all(isinstance(m, str) for m in match):
        raise InputError(f'{where}: `match` is a list of names or globs, e.g. ["os.system"]')
    allow = raw.get("allow", False)
    if not isinstance(allow, bool):
        raise InputError(f"{where}: `allow` is true or false")
    if not allow and "severity" not in raw:
        raise InputError(f"{where}: give `allow: true` or a `severity`")
    unsafe = raw.get("unsafe", False)
    if not isinstance(unsafe, bool):
        raise InputError(f"{where}: `unsafe` is true or false")
    kinds = _choices(raw, "kind", Kind, where)
    uses = _choices(raw, "use", Use, where)
    calls = (kinds is None or Kind.FUNCTION in kinds) and (uses is None or Use.CALLED in uses)
    if allow and calls and not unsafe:
        matcher = _Matcher.build(tuple(match))
        opened = [name for name in CODE_EXECUTION if matcher.matches(name)]
        if opened:
            raise InputError(
                f"{where}: this allow rule covers {opened[0]}, which runs code when a model "
                "loads; name only what you mean to allow, or add `unsafe: true` to the rule "
                "to say you mean it"
            )
    reason = raw.get("reason", "allowed by the scan policy" if allow else None)
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(
            f"{where}: a rule with a severity needs a `reason` (its findings quote it)"
        )
    return Rule(
        patterns=tuple(match),
        allow=allow,
        severity=Severity.INFO if allow else _severity(raw["severity"], where),
        category=str(raw.get("category", "allowed" if allow else "policy")),
        reason=reason.strip(),
        origin=origin,
        kinds=kinds,
        uses=uses,
    )


def _read(text: str, origin: str) -> dict[str, Any]:
    from ptmscope.card.safe_yaml import load_yaml  # only for user policies: YAML costs start-up

    result = load_yaml(text)
    if result.error:
        raise InputError(f"{origin}: not valid YAML: {result.error}")
    if is_admission_policy(result.data):
        section = result.data.get("scan")
        return _parse(section if section is not None else {}, f"{origin}: scan")
    return _parse(result.data, origin)


_PACKAGE = Path(__file__).resolve().parent.parent
"""The installed package's folder (``importlib.resources`` cost more start-up than a path)."""
DEFAULT_SOURCE = "data/scan_policy.yaml"
"""The default policy as people edit it (comments, anchors)."""
DEFAULT_COMPILED = "data/scan_policy.json"
"""The same data as JSON, read at start-up (``make policy-json`` writes it; a test keeps the
two equal): parsing YAML cost more than the rest of a one-file scan's start."""


@cache
def default_policy() -> Policy:
    return _build([_default_layer()])


@cache
def _default_layer() -> dict[str, Any]:
    import json

    text = (_PACKAGE / DEFAULT_COMPILED).read_text("utf-8")
    return _parse(json.loads(text), "ptmscope default policy")


def default_policy_data() -> Any:
    """The default policy's YAML source as data (what ``DEFAULT_COMPILED`` must hold)."""
    from ptmscope.card.safe_yaml import load_yaml

    text = (_PACKAGE / DEFAULT_SOURCE).read_text("utf-8")
    result = load_yaml(text)
    if result.error:
        raise InputError(f"ptmscope default policy: not valid YAML: {result.error}")
    return result.data


ADMISSION_KEYS = frozenset({"checks", "templates", "scan", "gateway"})
"""Top-level keys only an admission policy has: such a file's scan rules are its ``scan:``."""


def is_admission_policy(data: Any) -> bool:
    """Whether a policy document is an admission policy (``ptmscope policy``'s shape), whose
    pickle rules live under ``scan:``, rather than a scan policy of its own."""
    if not isinstance(data, dict):
        return False
    if ADMISSION_KEYS & set(map(str, data)):
        return True
    rules = data.get("rules")
    return isinstance(rules, list) and any(isinstance(r, dict) and "when" in r for r in rules)


def load_policy(paths: Sequence[Path] = ()) -> Policy:
    """The default policy with the user's files (first given wins) tried before it.

    A file is a scan policy, or an admission policy whose ``scan:`` section holds the same
    rules (one file for ``scan``, ``audit``, ``policy check`` and the registry gateway).
    """
    if not paths:
        return default_policy()
    layers = []
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read policy: {exc}") from None
        layers.append(_read(text, str(path)))
    layers.append(_default_layer())
    return _build(layers)


def with_section(section: Any, origin: str) -> Policy:
    """The default policy with an admission policy's ``scan:`` section tried before it."""
    if section is None:
        return default_policy()
    return _build([_parse(section, f"{origin}: scan"), _default_layer()])


def _build(layers: list[dict[str, Any]]) -> Policy:
    rules: list[Rule] = []
    loaders: dict[str, str] = {}
    calls: dict[str, tuple[int, ...]] = {}
    constructs: dict[str, tuple[int, ...]] = {}
    ops: dict[str, OpRule] = {}
    domains: set[str] = set()
    decompressors: dict[str, str] = {}
    byte_wrappers: set[str] = set()
    array_wrappers: set[str] = set()
    called = imported = called_class = None
    for layer in layers:
        rules.extend(layer["rules"])
        for key, target in (
            ("loaders", loaders),
            ("calls_arguments", calls),
            ("constructs_arguments", constructs),
            ("decompressors", decompressors),
        ):
            for name, value in layer[key].items():
                target.setdefault(name, value)
        for name, rule in layer["tensorflow_ops"].items():
            ops.setdefault(name, rule)
        domains |= layer["onnx_domains"]
        byte_wrappers |= layer["byte_wrappers"]
        array_wrappers |= layer["array_wrappers"]
        called = called or layer.get("called")
        called_class = called_class or layer.get("called_class")
        imported = imported or layer.get("imported")
    return Policy(
        rules=tuple(rules),
        called=called or Severity.HIGH,
        called_class=called_class or Severity.MEDIUM,
        imported=imported or Severity.MEDIUM,
        loaders=loaders,
        calls_arguments=calls,
        constructs_arguments=constructs,
        tensorflow_ops=ops,
        onnx_domains=frozenset(domains),
        decompressors=decompressors,
        byte_wrappers=frozenset(byte_wrappers),
        array_wrappers=frozenset(array_wrappers),
    )
