"""What an architecture or instantiation config makes a loader do, judged like a pickle's globals.

Keras configs (``module`` + ``class_name``), Hydra and NeMo configs (``_target_``)
and Lightning configs (``class_path`` + ``init_args``) all name a callable that
the loader imports and calls with arguments taken from the file. Every such
name goes through the same scan policy as a pickle's globals: no framework
namespace is passed over because of its prefix, since framework-internal
helpers download files, load other models or turn safety switches off.

The arguments matter too: a path or URL that points outside the package makes
the loader read what this scan never saw, and some keys turn a loader's own
safety check off (``safe_mode=False``, ``trust_remote_code=True``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ptmscope.scan.context import ScanContext
from ptmscope.scan.policy import Kind, Use, kind_of
from ptmscope.severity import Severity

REMOTE_SCHEMES = (
    "http://", "https://", "ftp://", "s3://", "s3a://", "gs://", "gcs://", "hf://", "az://",
    "abfs://", "abfss://", "hdfs://", "file://", "kaggle://", "ssh://", "sftp://",
)  # fmt: skip
"""URL schemes whose target lies outside the package (``file://`` included: any path)."""
INSTANTIATION_MARKERS = (
    "_target_",
    "class_path",
    "nemo_version",
    "!!python/",
    "tag:yaml.org,2002:python/",
)
"""Text holding none of these is no instantiation config (and is not parsed as one)."""


def has_instantiation_markers(text: str) -> bool:
    """A cheap test before a config is parsed (the config readers load on demand)."""
    return any(marker in text for marker in INSTANTIATION_MARKERS)


MAY_HIDE_MARKERS = ("!", "%TAG", "\\")
"""What lets a YAML document spell a marker without writing it: tags (``!!python%2F…``,
``%TAG`` shorthands) and escapes in quoted keys (``"_t\\x61rget_"``)."""
MAX_HIDDEN_MARKER_TEXT = 1 << 20
"""Text up to this size holding one of :data:`MAY_HIDE_MARKERS` is parsed to look."""


def may_instantiate(text: str) -> bool:
    """Whether a text could be an instantiation config once parsed: it names a marker, or
    is small enough to parse and holds a tag or an escape that could spell one."""
    if has_instantiation_markers(text):
        return True
    return len(text) <= MAX_HIDDEN_MARKER_TEXT and any(m in text for m in MAY_HIDE_MARKERS)


MAX_PATH_CHARS = 4096
"""Longer strings are not taken for paths (base64 blobs, embedded text)."""
_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_SEPARATORS = re.compile(r"[\\/]")

SAFETY_SWITCHES: Mapping[str, bool] = {
    "safe_mode": False,
    "trust_remote_code": True,
    "weights_only": False,
    "allow_pickle": True,
}
"""Argument names and the value that turns a loader's own safety check off."""

LOAD_KEYS = frozenset(
    {"restore_from", "restore_path", "init_from_nemo_model", "init_from_pretrained_model",
     "init_from_ptl_ckpt", "ckpt_path", "checkpoint_path", "pretrained_model_path",
     "pretrained_model_name_or_path", "model_path", "filepath", "weights_path", "nemo_path",
     "vocabulary", "vocabulary_path"}
)  # fmt: skip
"""Keys whose value names another model, checkpoint or SavedModel to load."""


def outside(value: str) -> str | None:
    """How ``value`` points outside the package (a URL, an absolute path, ``..``), or ``None``."""
    text = value.strip()
    if len(text) < 2 or len(text) > MAX_PATH_CHARS or "\n" in text:
        return None
    lowered = text.lower()
    if lowered.startswith(REMOTE_SCHEMES):
        return "a remote URL"
    if text.startswith(("/", "~/")) or _WINDOWS_ABSOLUTE.match(text):
        return "an absolute path"
    if ".." in _SEPARATORS.split(text):
        return "a path that climbs out of the package"
    return None


def switched_off(key: str, value: object) -> bool:
    """``key: value`` turns a loader's safety check off (booleans or their spellings)."""
    wanted = SAFETY_SWITCHES.get(key)
    if wanted is None:
        return False
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            return False
        value = lowered == "true"
    return isinstance(value, bool) and value is wanted


def judge(
    target: str,
    ctx: ScanContext,
    where: str,
    *,
    prefix: str,
    called: bool,
    unlisted: tuple[Severity, str] | None = None,
) -> None:
    """Report a referenced callable as the policy rules it (``unlisted``: severity and reason for
    names no rule matches; by default the policy's own defaults for called or imported names)."""
    # a config instantiates what it names (a class is constructed, a function called); a
    # reference a config only names (a Keras activation) is referenced
    kind = kind_of(target)
    use = (Use.CONSTRUCTED if kind is Kind.CLASS else Use.CALLED) if called else Use.REFERENCED
    decision = ctx.policy.decide(target, kind, use)
    if decision.allowed:
        return
    rule = decision.rule
    if rule is not None:
        severity, reason, category = rule.severity, rule.reason, rule.category
    elif unlisted is not None:
        severity, reason = unlisted
        category = "unlisted"
    else:
        default = ctx.policy.severity_for(decision, called)
        severity = default if default is not None else Severity.MEDIUM
        reason = "not on the scan policy's list: loading imports its module and runs it"
        category = "unlisted"
    ctx.add(
        f"{prefix}.{category.replace('-', '_')}",
        severity,
        f"{where}: the config {'calls' if called else 'references'} {target}: {reason}",
        target=target,
        category=category,
    )


def check_argument(
    key: str, value: object, ctx: ScanContext, where: str, *, prefix: str, in_call: bool
) -> None:
    """One ``key: value`` of a config: safety switches and paths or URLs outside the package in
    a call's arguments (``in_call``), and such paths under a key that names a model to load."""
    if in_call and switched_off(key, value):
        ctx.add(
            f"{prefix}.safety_switch",
            Severity.HIGH,
            f"{where}: {key}={value!r} turns the loader's own safety check off",
            target=key,
            category="safety-switch",
        )
        return
    if not isinstance(value, str) or not (in_call or key in LOAD_KEYS):
        return
    how = outside(value)
    if how is None:
        return
    loads = key in LOAD_KEYS
    ctx.add(
        f"{prefix}.external_reference",
        Severity.HIGH if loads else Severity.MEDIUM,
        f"{where}: {key}={_short(value)!r} is {how}: loading "
        + (
            "reads another model or checkpoint from there"
            if loads
            else "reads what this scan never saw"
        ),
        target=_short(value),
        category="external-reference",
    )


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
