"""Collect a :class:`Package` from a source: every file listed, every fact read once.

This is the only stage that reads package bytes. It reads the card, configs and
evaluation files (small), and the headers of serialized files; never whole
weights. Anything unparseable becomes a :class:`Problem`; only input that makes
an audit impossible (empty, not a model, hostile) raises.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ptmscope.baseline import shipped as shipped_baseline
from ptmscope.card import claims as card_claims
from ptmscope.card.parse import MAX_CARD_BYTES, parse_card
from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import InputError
from ptmscope.package import (
    Ancestor,
    Card,
    FileEntry,
    Package,
    Problem,
    RegistryBaseline,
    RegistryMetadata,
    WeightFile,
    base_models_of,
    package_task,
    root_file,
)
from ptmscope.results.scan import FileScan, ScanError
from ptmscope.scan.context import Limits
from ptmscope.scan.policy import Policy, default_policy
from ptmscope.scan.scanner import scan_buffer, scan_bytes, scan_file
from ptmscope.signing import TrustOptions, check_package, verify_commits
from ptmscope.sources.interface import Source, UpstreamRecord
from ptmscope.weights import inspect_all

MAX_CONFIG_BYTES = 16 << 20
MAX_EVAL_FILES = 200
MAX_EVAL_BYTES = 1 << 20
_MODEL_HINTS = (
    "config.json",
    "model_index.json",
    "modules.json",
    "adapter_config.json",
    "params.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


class _Unreadable(Exception):
    """A file collect needs could not be read or is over its limit: recorded, never fatal."""


def _read_small(entry: FileEntry, limit: int) -> bytes:
    if entry.size > limit:
        raise _Unreadable(
            f"{entry.size / 1e6:.1f} MB, above the {limit / (1 << 20):g} MiB limit: not read"
        )
    try:
        return entry.read()
    except OSError as exc:
        raise _Unreadable(f"cannot read: {exc.strerror or exc}") from None


def _unreadable(entry: FileEntry, message: str) -> Problem:
    return Problem(entry.path, message, unreadable=True)


def _card(files: Sequence[FileEntry], problems: list[Problem]) -> Card | None:
    entry = root_file(files, "README.md")
    if entry is None:
        return None
    if not entry.available:
        problems.append(Problem(entry.path, "model card is an LFS pointer; its text is absent"))
        return None
    try:
        card, notes = parse_card(entry.path, _read_small(entry, MAX_CARD_BYTES))
    except (_Unreadable, InputError) as exc:
        # A card built to break the parser must not switch checks off: it is a fact.
        problems.append(_unreadable(entry, f"model card unreadable: {exc}"))
        return None
    problems.extend(Problem(entry.path, note) for note in notes)
    if card.metadata_error:
        problems.append(Problem(entry.path, f"front matter: {card.metadata_error}"))
    return card


def _config(files: Sequence[FileEntry], problems: list[Problem]) -> Mapping[str, Any] | None:
    entry = root_file(files, "config.json")
    if entry is None or not entry.available:
        return None
    try:
        data = json.loads(_read_small(entry, MAX_CONFIG_BYTES))
    except _Unreadable as exc:
        problems.append(_unreadable(entry, f"config unreadable: {exc}"))
        return None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        problems.append(Problem(entry.path, f"not valid JSON: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(entry.path, "not a JSON object"))
        return None
    return MappingProxyType(data)


_CODE_MAPPING_CONFIGS = (
    "config.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "feature_extractor_config.json",
    "image_processor_config.json",
    "video_preprocessor_config.json",
)
"""Root configs whose ``auto_map`` makes ``from_pretrained`` import repository code."""


def _auto_maps(
    files: Sequence[FileEntry], config: Mapping[str, Any] | None, problems: list[Problem]
) -> tuple[tuple[str, str], ...]:
    """``(file, auto_map)`` of each code-mapping config (``config.json`` as already read)."""
    found: list[tuple[str, str]] = []
    for name in _CODE_MAPPING_CONFIGS:
        entry = root_file(files, name)
        if entry is None or not entry.available:
            continue
        data: object = config
        if name != "config.json":
            try:
                data = json.loads(_read_small(entry, MAX_CONFIG_BYTES))
            except _Unreadable as exc:
                problems.append(_unreadable(entry, f"config unreadable: {exc}"))
                continue
            except (ValueError, UnicodeDecodeError, RecursionError):
                continue
        if isinstance(data, Mapping) and data.get("auto_map"):
            found.append((entry.path, repr(data["auto_map"])[:200]))
    return tuple(found)


def _eval_results(files: Sequence[FileEntry], problems: list[Problem]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in files:
        if not entry.path.startswith(".eval_results/") or not entry.path.endswith(
            (".yaml", ".yml")
        ):
            continue
        if len(found) >= MAX_EVAL_FILES or not entry.available:
            continue
        try:
            raw = _read_small(entry, MAX_EVAL_BYTES)
            result = load_yaml(raw.decode("utf-8", "replace"))
        except (_Unreadable, InputError) as exc:
            problems.append(_unreadable(entry, f"evaluation results unreadable: {exc}"))
            continue
        if result.error:
            problems.append(Problem(entry.path, f"YAML: {result.error}"))
            continue
        found.append((entry.path, result.data))
    return found


def scan_source(
    source: Source, policy: Policy | None = None, limits: Limits | None = None
) -> list[FileScan]:
    """``ptmscope scan`` over a source's files (a Hub model), named ``owner/name/path``."""
    info = source.info()
    prefix = f"{info.name}/" if info.name else ""
    return [
        replace(scan, path=prefix + scan.path)
        for scan in _scan(source.files(), policy or default_policy(), limits)
    ]


def _scan(
    files: Sequence[FileEntry], policy: Policy, limits: Limits | None = None
) -> tuple[FileScan, ...]:
    """Scan every file whose bytes are here, by content, whatever it is called.

    Names are chosen by whoever uploads the package: a pickle called ``model.dat``,
    ``checkpoint.pth.tar`` or ``README`` loads just the same, so no name may take a
    file out of the scan.
    """
    scans: list[FileScan] = []
    for entry in files:
        if not entry.available:
            continue
        if entry.origin.startswith("local:"):
            scans.append(
                scan_file(
                    Path(entry.origin.removeprefix("local:")), policy, limits, display=entry.path
                )
            )
            continue
        if entry.buffer is not None:
            scans.append(scan_buffer(entry.buffer, entry.path, policy, limits))
            continue
        try:
            data = entry.read()
        except OSError as exc:
            scans.append(
                FileScan(
                    entry.path, "unreadable", entry.size, errors=(ScanError(f"cannot read: {exc}"),)
                )
            )
            continue
        scans.append(scan_bytes(data, entry.path, policy, limits))
    return tuple(scans)


def _looks_like_model(files: Sequence[FileEntry], weights: Sequence[WeightFile]) -> bool:
    """A card (readable or not), serialized weights, or a file only model packages hold."""
    if weights or root_file(files, "README.md") is not None:
        return True
    return any(entry.name in _MODEL_HINTS for entry in files)


def collect_from(
    source: Source,
    metadata: RegistryMetadata | None = None,
    now: datetime | None = None,
    scan_policy: Policy | None = None,
    baseline: RegistryBaseline | None = None,
    trust: TrustOptions | None = None,
) -> Package:
    """Read everything probes need from ``source``, once (popularity is ranked against
    ``baseline``, by default the one shipped with ptmscope; signatures are checked with
    ``trust``, by default against nothing)."""
    info = source.info()
    files = source.files()
    if metadata is None:
        metadata = source.metadata()
    if not files:
        raise InputError(f"{info.ref}: empty package (no files at this revision)")
    problems = [
        Problem(path, f"skipped: {reason}", unreadable=True) for path, reason in source.skipped()
    ]
    card = _card(files, problems)
    weights = inspect_all(files)
    if not _looks_like_model(files, weights):
        raise InputError(f"{info.ref}: not a model package (no model card, config or weights)")
    config = _config(files, problems)
    card_meta: Mapping[str, Any] = card.metadata if card is not None else {}
    default_task = package_task(card_meta, metadata.pipeline_tag if metadata else None, config)
    claims, claim_problems = card_claims.extract(
        card_path=card.path if card is not None else None,
        metadata=card_meta,
        lines=card.lines if card is not None else (),
        eval_results=_eval_results(files, problems),
        default_task=default_task,
        model_name=info.name or (metadata.id if metadata is not None else None),
    )
    problems.extend(Problem(path, message) for path, message in claim_problems)
    problems.extend(Problem(w.path, w.error) for w in weights if w.error)
    scans = _scan(files, scan_policy or default_policy())
    auto_maps = _auto_maps(files, config, problems)
    name = info.name or (metadata.id if metadata is not None else None)
    history = source.history()
    keyrings = trust.keyrings if trust is not None else ()
    if keyrings and history:
        history = verify_commits(history, keyrings)
    package = Package(
        ref=info.ref,
        source=info.kind,
        name=name,
        revision=info.revision,
        commit=info.commit,
        files=tuple(files),
        card=card,
        config=config,
        claims=claims,
        weights=weights,
        history=history,
        metadata=metadata,
        problems=tuple(problems),
        collected_at=now or datetime.now(UTC),
        scans=scans,
        auto_maps=auto_maps,
        baseline=baseline if baseline is not None else shipped_baseline(),
        signatures_known=source.signatures_visible(),
        signature=check_package(files, trust),
        keyring=bool(keyrings),
    )
    firsts = base_models_of(card_meta) or ((package.upstream,) if package.upstream else ())
    lineage, complete = walk_lineage(firsts, source.upstream)
    return replace(
        package,
        lineage=lineage,
        lineage_complete=complete,
        transfer=source.transfer_report(),
    )


_MODEL_ID = re.compile(r"^[\w.-]{1,96}(/[\w.-]{1,96})?$")
MAX_LINEAGE = 16
"""Ancestors read at most (a merge of fine-tunes of … base models); past it the lineage is
marked incomplete, so a licence rule knows what it did not see."""


def walk_lineage(
    firsts: Sequence[str], lookup: Callable[[str], UpstreamRecord | None]
) -> tuple[tuple[Ancestor, ...], bool]:
    """The upstream models, breadth first (every parent of a merge), and whether the walk
    saw them all.

    A pinned ``owner/name@sha`` is looked up by name; a name seen before (in any case: the
    Hub's ids ignore it) is not walked again, so loops end; an ancestor the lookup cannot
    find stays unknown and ends its branch.
    """
    found: list[Ancestor] = []
    seen: set[str] = set()
    queue: deque[tuple[str, int]] = deque((first, 1) for first in firsts)
    while queue:
        current, depth = queue.popleft()
        model_id = current.split("@", 1)[0].strip()
        if not model_id or model_id.lower() in seen:
            continue
        if len(found) >= MAX_LINEAGE:
            return tuple(found), False
        seen.add(model_id.lower())
        record = lookup(model_id) if _MODEL_ID.match(model_id) else None
        if record is None:
            found.append(Ancestor(model_id, depth, None, False))
            continue
        found.append(Ancestor(model_id, depth, record.licenses, True, record.revision))
        queue.extend((parent, depth + 1) for parent in record.base_models)
    return tuple(found), True
