"""What each scan rule id means, for SARIF's rule descriptions and help (GitHub code scanning).

A dashboard shows a rule's short and full description on every alert, and its
help as the "how to fix" panel. Rule ids are made by the engines (``pickle.<policy
category>``, ``zip.crc_mismatch``…), and a new engine adds ids without touching
this file, so every id resolves: its own entry if it has one, else its family's
(the part before the first dot), else a generic text. Renderers never decide
anything from these texts: they only describe.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptmscope.formats.sarif import INFORMATION_URI


@dataclass(frozen=True)
class RuleDoc:
    """The words a dashboard shows for a rule."""

    short: str
    """One line (GitHub shows it as the alert's title)."""
    full: str
    """What the rule detects and why it matters."""
    fix: str
    """What to do about it (SARIF ``help``)."""


RULES_URI = f"{INFORMATION_URI}#scan-rules"
"""Where the rules are documented (``helpUri``); each rule adds its id as the anchor."""

_PICKLE_FIX = (
    "Do not load this file. Prefer safetensors for weights; if a pickle must be loaded, use "
    "torch.load(weights_only=True) or an allow-listed unpickler, and only from a source you "
    "trust. If the reference is legitimate for your organisation, allow it in a --policy file."
)

_FAMILIES = {
    "pickle": RuleDoc(
        "Pickle stream does something loading a model never needs",
        "Loading a pickle runs the callables it references. This stream references or calls "
        "something outside what loading model weights needs, judged by the scan policy.",
        _PICKLE_FIX,
    ),
    "zip": RuleDoc(
        "Archive structure was tampered with",
        "The zip archive's headers disagree with each other (names, sizes, checksums or flags), "
        "so different readers can see different contents: a known way to hide a payload "
        "from scanners.",
        "Rebuild the archive with a standard tool from trusted sources and compare it with the "
        "published one; do not load the file as shipped.",
    ),
    "tar": RuleDoc(
        "Archive member escapes the extraction folder",
        "A tar member's name or link points outside the folder it is extracted into, so "
        "extracting it can overwrite other files.",
        "Do not extract the archive; rebuild it without absolute paths, '..' or links.",
    ),
    "keras": RuleDoc(
        "Keras model runs code or loads other artifacts",
        "The Keras configuration references code (a Lambda layer, a function or a class "
        "outside the allowed layers) that runs when the model is loaded.",
        "Load with safe_mode=True and without custom objects you do not own; replace Lambda "
        "layers with registered layers.",
    ),
    "onnx": RuleDoc(
        "ONNX model reaches outside the model",
        "The ONNX graph uses custom operator domains or external data paths that load code "
        "or files from outside the package.",
        "Use only standard operator domains and keep external data inside the package.",
    ),
    "gguf": RuleDoc(
        "GGUF file is malformed",
        "A GGUF header field points outside the file: readers may crash or read other memory.",
        "Re-export the GGUF file with a maintained converter.",
    ),
    "safetensors": RuleDoc(
        "Safetensors file is not what its header says",
        "The safetensors header is invalid or bytes lie outside every tensor: room to hide "
        "a payload that another reader may find.",
        "Re-save the tensors with the safetensors library.",
    ),
    "numpy": RuleDoc(
        "NumPy array holds Python objects",
        "An object array is stored as a pickle: loading it with allow_pickle runs code.",
        "Store numeric arrays only and load with allow_pickle=False.",
    ),
    "template": RuleDoc(
        "Chat template can run code",
        "A Jinja chat template reaches Python internals (attributes, globals, imports) that "
        "a sandbox escape uses to run code when the template is rendered.",
        "Use a template that only formats messages; render with a sandboxed environment.",
    ),
    "tensorflow": RuleDoc(
        "TensorFlow graph uses operations that touch files or run code",
        "The SavedModel graph contains operations that read or write files, or run Python, "
        "when the model is loaded or called.",
        "Remove the operations or load the model only in an isolated environment.",
    ),
    "scan": RuleDoc(
        "Scan stopped counting findings",
        "The file produced more findings than the scan lists: it is at least as bad as what "
        "is shown.",
        "Treat the file as malicious; raise the limits only to investigate.",
    ),
}

_RULES = {
    "pickle.anomaly": RuleDoc(
        "Pickle stream is malformed or reads differently in CPython",
        "The stream has opcodes or framing that the real unpickler reads differently from a "
        "naive reader, or that no pickler writes: a way to hide calls from scanners.",
        _PICKLE_FIX,
    ),
    "pickle.dynamic_import": RuleDoc(
        "Pickle builds the name it imports at load time",
        "The name of the imported callable is computed while loading (not written in the "
        "file), so no allow list can judge it in advance.",
        _PICKLE_FIX,
    ),
    "pickle.marshal_code": RuleDoc(
        "Pickle loads marshalled Python code",
        "Marshalled code objects are loaded and can be run: arbitrary Python in the file.",
        _PICKLE_FIX,
    ),
    "pickle.unlisted_callable": RuleDoc(
        "Pickle references a callable that is not on the allow list",
        "Loading calls or imports a name that the policy neither allows nor forbids: "
        "worth a look, as it runs code of that module.",
        _PICKLE_FIX,
    ),
    "zip.crc_mismatch": RuleDoc(
        "Archive member fails its checksum",
        "A member's bytes do not match the CRC its header records: it was changed after the "
        "archive was written, or written to mislead a reader.",
        _FAMILIES["zip"].fix,
    ),
    "zip.name_mismatch": RuleDoc(
        "Archive member has two different names",
        "The central directory and the local header name a member differently, so two "
        "readers extract different files.",
        _FAMILIES["zip"].fix,
    ),
    "keras.lambda_bytecode": RuleDoc(
        "Keras Lambda layer carries Python bytecode",
        "A Lambda layer stores marshalled bytecode that runs when the model is loaded.",
        _FAMILIES["keras"].fix,
    ),
    "onnx.external_data_escape": RuleDoc(
        "ONNX external data path leaves the package",
        "A tensor's external data path points outside the model folder (absolute or '..').",
        _FAMILIES["onnx"].fix,
    ),
    "tokenizer.chat_template": RuleDoc(
        "Tokenizer chat template can run code",
        _FAMILIES["template"].full,
        _FAMILIES["template"].fix,
    ),
}


def rule_doc(rule: str, category: str | None = None) -> RuleDoc:
    """The description of ``rule``: its own, its family's, or a generic one naming it."""
    if rule in _RULES:
        return _RULES[rule]
    family, _, rest = rule.partition(".")
    if family in _FAMILIES:
        base = _FAMILIES[family]
        if family == "pickle" and rest:
            kind = (category or rest).replace("_", "-")
            return RuleDoc(f"Pickle references a callable of kind '{kind}'",
                           f"{base.full} The policy classes it as '{kind}'.", base.fix)  # fmt: skip
        return base
    return RuleDoc(
        f"Model file finding: {rule}",
        "Loading this file would do something a model never needs (rule "
        f"{rule}{f', category {category}' if category else ''}).",
        "Do not load the file until the finding is understood; see the message for where.",
    )


def help_uri(rule: str) -> str:
    """The documentation link of ``rule``: its family's anchor in the README's scan rules
    section (rule ids grow with the policy; families are what the README documents)."""
    family = rule.split(".", 1)[0]
    return f"{RULES_URI}-{(family if family in _FAMILIES else 'scan').replace('_', '-')}"


def families() -> dict[str, RuleDoc]:
    """The documented rule families (the README section is generated from these)."""
    return dict(_FAMILIES)
