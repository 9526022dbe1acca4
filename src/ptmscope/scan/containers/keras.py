"""Keras models: the architecture config (HDF5 ``model_config`` or ``.keras`` ``config.json``).

Loading a Keras model rebuilds layers from this config. A ``Lambda`` layer
carries marshalled bytecode that runs on load (CVE-2024-3660); Keras 3 configs
can name any ``module`` + function, and ``os.system`` is a function (CVE-2025-1550).
The config is walked at any depth (nested models), every Lambda is reported and
every referenced callable goes through the scan policy, Keras's own names included:
since safe mode only imports Keras modules, attacks use Keras-internal helpers
(``get_file``, ``enable_unsafe_deserialization``, ``TorchModuleWrapper``,
``TFSMLayer``), which the policy lists. Layer arguments are checked for safety
switches and outside paths, and encoded strings are decoded and scanned.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ptmscope.scan.bytecode import names_in_base64
from ptmscope.scan.configrefs import check_argument, judge
from ptmscope.scan.containers.base import Confidence, Container, Magic, WeightInfo, WeightProbe
from ptmscope.scan.containers.protobuf import PROTOBUF_FIRST_BYTES, looks_like_protobuf
from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

if TYPE_CHECKING:
    from ptmscope.scan.blobs import BlobScanner

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

_OBJECT_START = re.compile(rb'\{\s*"(?:[^"\\\x00-\x1f]|\\.){1,64}"\s*:')
"""A JSON object's opening brace and first key."""
_NAMES_CLASS = re.compile(r'"(?:class_name|module|registered_name)"|\\u00')
"""A Keras config's keys, or a key spelled with an escape that may hide one."""
_MAX_DEPTH = 200


def check_config(config: object, ctx: ScanContext, source: str) -> None:
    """Judge every reference, argument and encoded string in a Keras config, at any depth."""
    from ptmscope.scan.blobs import BlobScanner  # loaded when a config is read

    _Walker(ctx, source, BlobScanner(ctx)).walk(config, 0, in_call=False)


_UNLISTED = (
    Severity.MEDIUM,
    "an object outside the Keras layer and configuration namespaces the policy allows: "
    "loading imports its module",
)


@dataclass
class _Walker:
    ctx: ScanContext
    where: str
    blobs: BlobScanner

    def walk(self, node: object, depth: int, in_call: bool) -> None:
        """``in_call``: inside an object's ``config``, whose values are its constructor's
        (or a function's) arguments."""
        ctx = self.ctx
        if self.blobs.leaf(node, depth, _MAX_DEPTH, self.where):
            return
        if isinstance(node, list):
            for item in node:
                self.walk(item, depth + 1, in_call)
            return
        if not isinstance(node, dict):
            return
        class_name = node.get("class_name")
        config = node.get("config")
        if class_name == "Lambda" and isinstance(config, dict):
            _lambda(config, ctx, self.where)
        if isinstance(class_name, str) and class_name != "__lambda__":
            self._reference(node, class_name, config)
            in_call = in_call or isinstance(config, dict)
        for key, value in node.items():
            if in_call and isinstance(key, str):
                check_argument(key, value, ctx, self.where, prefix="keras", in_call=True)
            self.walk(value, depth + 1, in_call)

    def _reference(self, node: dict[str, object], class_name: str, config: object) -> None:
        module = node.get("module")
        if not isinstance(module, str):
            # Keras 2 style: a bare name resolved among Keras's own objects. Only a name the
            # policy lists (TFSMLayer, TorchModuleWrapper…) says more than "a layer".
            if class_name.isidentifier() and class_name != "Lambda":
                decision = self.ctx.policy.decide(f"keras.layers.{class_name}")
                if decision.rule is not None and not decision.allowed:
                    judge(decision.target, self.ctx, self.where, prefix="keras", called=False)
            return
        function = class_name == "function"
        name = config if function and isinstance(config, str) else class_name
        target = f"{module}.{name}" if module else str(name)
        if target.endswith(".Lambda"):
            return  # reported by _lambda, with what its function is
        judge(target, self.ctx, self.where, prefix="keras", called=function, unlisted=_UNLISTED)


def _lambda(config: dict[str, object], ctx: ScanContext, where: str) -> None:
    function = config.get("function")
    name = config.get("name", "lambda")
    code: str | None = None
    if isinstance(function, list) and function and isinstance(function[0], str):
        code = function[0]
    elif isinstance(function, dict) and function.get("class_name") == "__lambda__":
        inner = function.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            code = str(inner["code"])
    if code is not None:
        names = names_in_base64(code)
        ctx.add(
            "keras.lambda_bytecode",
            Severity.CRITICAL,
            f"{where}: Lambda layer {name!r} holds Python bytecode that runs when the model loads"
            + (f" (names used: {', '.join(names)})" if names else ""),
            target=f"Lambda:{name}",
            category="code-execution",
        )
    elif isinstance(function, dict | str):
        ctx.add(
            "keras.lambda_layer",
            Severity.MEDIUM,
            f"{where}: Lambda layer {name!r} calls a Python function by name when the model runs",
            target=f"Lambda:{name}",
            category="code-execution",
        )


def check_config_json(span: Span, ctx: ScanContext) -> None:
    try:
        config = json.loads(span.read(0, span.size))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        ctx.error(f"config.json is not JSON: {exc}")
        return
    check_config(config, ctx, "config.json")


def scan_h5(span: Span, ctx: ScanContext) -> FileFormat:
    """HDF5: find the Keras config JSON in the raw bytes (bounded, no HDF5 library).

    HDF5 attributes are never compressed, so ``model_config`` lies in the file as
    text. Only when none is found is h5py asked (when installed), in a child
    process with a time limit: the HDF5 library can loop on a corrupt file, and
    a hang in C code cannot be interrupted in-process.
    """
    configs = _configs_raw(span)
    if not configs and ctx.limits.hdf5_library:
        configs = _configs_h5py(span, ctx)
    for name, text in configs:
        try:
            config = json.loads(text)
        except (ValueError, RecursionError):
            ctx.error(f"{name} attribute is not JSON")
            continue
        check_config(config, ctx, name)
    return FileFormat.KERAS_H5 if configs else FileFormat.HDF5


def scan_embedded_configs(span: Span, ctx: ScanContext) -> bool:
    """Keras configs inside another container (``keras_metadata.pb`` of a SavedModel)."""
    configs = _configs_raw(span)
    for name, text in configs:
        try:
            check_config(json.loads(text), ctx, f"embedded Keras config at {name}")
        except (ValueError, RecursionError):
            continue
    return bool(configs)


_H5_CHILD = """
import io, json, sys
import h5py
found = []
with h5py.File(io.BytesIO(sys.stdin.buffer.read()), "r") as handle:
    groups = [handle]
    handle.visit(lambda n: groups.append(handle[n]) if isinstance(handle[n], h5py.Group) else None)
    for group in groups[:10000]:
        for key in ("model_config", "training_config"):
            if key in group.attrs:
                value = group.attrs[key]
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                found.append([group.name + ":" + key, text])
print(json.dumps(found))
"""


def _configs_h5py(span: Span, ctx: ScanContext) -> list[tuple[str, str]]:
    if importlib.util.find_spec("h5py") is None:
        return []
    import subprocess  # only when an HDF5 file is read (start-up of other scans)

    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _H5_CHILD],
            input=span.read(0, span.size),
            capture_output=True,
            timeout=max(0.1, min(ctx.budget.deadline - time.monotonic(), 30.0)),
            check=False,
        )
    except subprocess.TimeoutExpired:
        ctx.error("the HDF5 library did not finish reading the file (time limit)")
        return []
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
        ctx.error(f"HDF5 file unreadable: {last[0][:200]}")
        return []
    try:
        return [(str(name), str(text)) for name, text in json.loads(done.stdout)]
    except (ValueError, TypeError):
        ctx.error("HDF5 reader returned no result")
        return []


_WINDOW = 4 << 20
_MAX_RAW = 256 << 20


def _configs_raw(span: Span) -> list[tuple[str, str]]:
    """Keras config JSON objects found in the raw bytes, read a window at a time.

    Any JSON object is a candidate (Keras writes ``class_name`` first, but a loader reads
    keys in any order and spelled with escapes); one is kept when its text names a class or
    module, plain or escaped. Reading stops after the first window that holds a config (Keras
    writes the root group's attributes near the start), so a remote file costs a few
    megabytes, not its size.
    """
    found: list[tuple[str, str]] = []
    decoder = json.JSONDecoder()
    limit = min(span.size, _MAX_RAW)
    taken_to = 0  # objects nest: one inside an object already decoded is not decoded again
    for base in range(0, limit, _WINDOW):
        data = span.read(base, min(_WINDOW + 64, limit - base))
        for match in _OBJECT_START.finditer(data):
            start = base + match.start()
            if start < taken_to:
                continue
            text = _json_object(span, start, decoder)
            if text is None:
                continue
            taken_to = start + len(text.encode("utf-8", "surrogateescape"))
            if _NAMES_CLASS.search(text):
                found.append((f"offset {start}", text))
            if len(found) > 16:
                return found
        if found:
            return found
    return found


def _json_object(span: Span, start: int, decoder: json.JSONDecoder) -> str | None:
    """The JSON object starting at ``start``: read from a small window first, and from a
    16 MiB one only when the small one cut it short."""
    for size in (64 << 10, 16 << 20):
        window = span.read(start, size).decode("utf-8", "surrogateescape")
        try:
            _, end = decoder.raw_decode(window)
        except json.JSONDecodeError as exc:
            cut = len(window) >= size // 4 and (
                exc.msg.startswith("Unterminated") or exc.pos >= len(window) - 64
            )
            if not cut:
                return None
            continue
        except (ValueError, RecursionError):
            return None
        return window[:end]
    return None


class Hdf5Container(Magic):
    """HDF5 files (Keras ``.h5``): the Keras config is checked when there is one."""

    kind = FileFormat.HDF5
    magic = (HDF5_MAGIC,)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_h5(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind)


class KerasMetadataContainer(Container):
    """Protobuf holding an embedded Keras config (``keras_metadata.pb``)."""

    kind = FileFormat.KERAS_METADATA

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE if looks_like_protobuf(head) else None

    def first_bytes(self) -> frozenset[int] | None:
        return PROTOBUF_FIRST_BYTES

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return self.kind if scan_embedded_configs(span, hooks) else None


HDF5 = Hdf5Container()
KERAS_METADATA = KerasMetadataContainer()
