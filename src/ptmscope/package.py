"""The immutable package snapshot every probe reads.

A :class:`Package` is collected once from a source (see :mod:`ptmscope.collector`)
and then only read. Facts keep where they came from (a file and line, a YAML
key, a git object) so that every finding can show its evidence. Parse problems
are facts too: a card whose YAML does not parse is still a card, and the error
is something a reuser needs to see.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from ptmscope.results.scan import FileScan
from ptmscope.results.verify import ClaimResult
from ptmscope.vocab import FileFormat, SourceKind, WeightRole

Reader = Callable[[int, int | None], bytes]
"""Reads ``length`` bytes (``None``: to the end) from ``offset`` of one file."""


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def fold_case(text: str) -> str:
    """Lower-case ``text`` keeping every offset (a few non-ASCII letters grow when lowered).

    Cue patterns are matched case-sensitively against folded text: about twice as fast
    as ``re.IGNORECASE`` on real cards.
    """
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def root_file(files: Iterable[FileEntry], name: str) -> FileEntry | None:
    """A top-level file by name, case-insensitively (registries treat README.md so)."""
    lowered = name.lower()
    return next((f for f in files if "/" not in f.path and f.path.lower() == lowered), None)


@dataclass(frozen=True)
class LfsPointer:
    """A Git LFS pointer: the weights live elsewhere; only their identity is here."""

    oid_sha256: str
    size: int


@dataclass(frozen=True)
class FileEntry:
    """One file of the package at the audited revision."""

    path: str
    """POSIX path relative to the package root."""
    size: int
    """True size in bytes (for an LFS pointer: the size of the object it points to)."""
    origin: str
    """Where the bytes come from: ``local:<abs path>`` or ``git:<blob oid>``."""
    sha256: str | None = None
    """Known without reading the file (LFS oid); ``None`` otherwise."""
    git_oid: str | None = None
    lfs: LfsPointer | None = None
    """Set when the package holds only an LFS pointer for this path."""
    reader: Reader | None = field(default=None, compare=False, repr=False)
    """Lazy access to the bytes; ``None`` when the content is absent."""
    buffer: Any = field(default=None, compare=False, repr=False)
    """A bytes-like view (``len``, slicing, ``find``) that fetches on demand, for files
    that live elsewhere (a Hub file read by HTTP Range): the scanner walks it without
    reading the whole file."""

    @property
    def available(self) -> bool:
        """Whether the real content (not just a pointer) can be read."""
        return self.reader is not None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name.lower()
        return name[name.rfind(".") :] if "." in name else ""

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes of the file; raises ``FileNotFoundError`` when only a pointer is here."""
        if self.reader is None:
            raise FileNotFoundError(f"{self.path}: content not present (LFS pointer)")
        return self.reader(offset, length)


@dataclass(frozen=True)
class Section:
    """A Markdown section of the card: a heading and the lines up to the next heading."""

    title: str
    level: int
    line: int
    """1-based line of the heading in the README."""
    end_line: int
    words: int
    """Words in the section body that are not template boilerplate, comments or code."""
    code_blocks: int

    @property
    def filled(self) -> bool:
        """A section counts when it says something: five real words or a code block."""
        return self.words >= 5 or self.code_blocks > 0


@dataclass(frozen=True)
class CardLine:
    """A README line that is neither template boilerplate nor an HTML comment."""

    number: int
    text: str
    in_code: bool


@dataclass(frozen=True)
class Card:
    """The model card (README.md): YAML front matter plus Markdown body."""

    path: str
    size: int
    has_front_matter: bool
    metadata: Mapping[str, Any]
    """Parsed front matter; empty when absent or unparseable."""
    metadata_error: str | None
    """Why the front matter did not parse, with its line; ``None`` when it did."""
    body_line: int
    """1-based README line where the Markdown body starts."""
    sections: tuple[Section, ...]
    lines: tuple[CardLine, ...]
    """Body lines left after removing boilerplate (with their README line numbers)."""
    words: int
    """Real words in the body (boilerplate, comments and code excluded)."""
    boilerplate_lines: int
    """Body lines discounted as template text or placeholders."""

    @property
    def is_empty(self) -> bool:
        return self.words == 0 and not self.metadata

    @cached_property
    def _joined(self) -> dict[bool, tuple[str, list[int], list[CardLine]]]:
        """Prose and code lines joined once, so a pattern scans a card in one pass."""
        joined: dict[bool, tuple[str, list[int], list[CardLine]]] = {}
        for in_code in (False, True):
            chosen = [line for line in self.lines if line.in_code is in_code]
            starts, pos = [], 0
            for line in chosen:
                starts.append(pos)
                pos += len(line.text) + 1
            text = "\n".join(line.text for line in chosen)
            joined[in_code] = (fold_case(text), starts, chosen)
        return joined

    def searchable(self, in_code: bool) -> str:
        """All kept prose (or code) lines, newline-joined and case-folded (see :func:`fold_case`)."""
        return self._joined[in_code][0]

    def line_at(self, in_code: bool, offset: int) -> CardLine:
        """The line holding ``offset`` of :meth:`searchable`."""
        _, starts, chosen = self._joined[in_code]
        return chosen[bisect_right(starts, offset) - 1]

    @cached_property
    def _numbers(self) -> list[int]:
        return [line.number for line in self.lines]

    def line_numbered(self, number: int) -> CardLine | None:
        """The kept line with this README line number (``None``: blank or boilerplate)."""
        at = bisect_left(self._numbers, number)
        return self.lines[at] if at < len(self.lines) and self.lines[at].number == number else None

    def lines_between(self, first: int, last: int) -> tuple[CardLine, ...]:
        """Kept lines numbered ``first`` to ``last`` inclusive."""
        return self.lines[bisect_left(self._numbers, first) : bisect_right(self._numbers, last)]

    @cached_property
    def _sections_by_line(self) -> dict[int, Section]:
        return {section.line: section for section in self.sections}

    def section_at(self, line: int) -> Section | None:
        """The section whose heading is on README line ``line``."""
        return self._sections_by_line.get(line)

    @cached_property
    def filled_titles(self) -> str:
        """The titles of filled sections, case-folded, one per line: cue probes search this
        once per card instead of every title per probe."""
        return "\n".join(fold_case(s.title) if s.filled else "" for s in self.sections)

    def section_for_line(self, line: int) -> Section | None:
        found = None
        for section in self.sections:
            if section.line <= line:
                found = section
            else:
                break
        return found


_FINE_TUNED_FROM = re.compile(
    r"fine-?tuned (?:version|checkpoint) of (?!(?:the|a|an|this|our|my|their)\s)\[?([\w./-]{2,96})"
)
_FINE_TUNED_FROM_ANY_CASE = re.compile(_FINE_TUNED_FROM.pattern, re.IGNORECASE)
"""The Trainer's own sentence naming the upstream model (matched on case-folded text)."""

CLAIM_SOURCES = (
    "eval_results",
    "model-index",
    "trainer-prose",
    "metric-list",
    "markdown-table",
    "card-prose",
)
"""Where claims are read from, most structured first."""
MACHINE_PARSEABLE_SOURCES = frozenset({"eval_results", "model-index"})
"""Claim sources a registry could index and check without reading prose."""


@dataclass(frozen=True)
class Claim:
    """One claimed measurement: on this data, this metric has this value."""

    task: str | None
    dataset: str | None
    config: str | None
    split: str | None
    metric: str
    """Canonical metric id (``accuracy``, ``f1_macro``, ``wer``…) or the label lower-cased."""
    value: float | None
    """Normalised value (bounded metrics as a fraction); ``None`` when not a number."""
    scale: str
    """How the raw value was written: ``fraction``, ``percent``, ``absolute``, ``non-numeric``."""
    source: str
    """One of :data:`CLAIM_SOURCES`."""
    location: str
    """``README.md:42`` or ``.eval_results/hle.yaml#0``: where to look."""
    raw: str
    """The value exactly as written."""
    label: str = ""
    """The metric as the author named it."""
    uncertainty: float | None = None
    qualifier: str | None = None
    dataset_revision: str | None = None
    subject: str | None = None
    """Row label of a table (often another model in a comparison table)."""
    verified: bool | None = None

    @property
    def machine_parseable(self) -> bool:
        """In a structured field and a number: what a registry could index and check."""
        return self.source in MACHINE_PARSEABLE_SOURCES and self.value is not None


COMMIT_STATES = (
    "author-verified",
    "signed-unknown-key",
    "platform-signed",
    "invalid",
    "unsigned",
)
"""What a commit's signature proves, strongest first. ``author-verified``: a good signature by
a key of the trust keyring; ``signed-unknown-key``: a signature nobody vouched for (no keyring,
or a key outside it), which anyone can make; ``platform-signed``: a forge's own key (the Hub's
web commits, GitHub's web flow), which says where a commit was made, not who wrote it;
``invalid``: a signature that does not verify or cannot be read; ``unsigned``: none."""


@dataclass(frozen=True)
class Signature:
    """A commit's signature header: whose key claims it and, once checked, what it proves."""

    kind: str
    """``gpg``, ``ssh``, ``x509`` or ``unknown``."""
    key_id: str | None
    """PGP issuer key id (16 hex digits) or SSH key fingerprint (``SHA256:…``)."""
    signer: str
    """``author`` (someone signed their own work) or ``platform`` (a forge signed it)."""
    platform: str | None = None
    """``huggingface`` or ``github`` when ``signer`` is ``platform``."""
    state: str | None = None
    """One of :data:`COMMIT_STATES` once judged; ``None``: read from the header only (see
    :attr:`judged`)."""
    principal: str | None = None
    """Who the trust keyring names for the key (an allowed-signers principal, a user id)."""
    reason: str | None = None
    """Why the state is what it is, in a line (``BADSIG``, ``key not in the keyring``…)."""
    armored: str | None = field(default=None, compare=False, repr=False)
    """The signature block as the commit carries it (kept to verify it later)."""
    payload: bytes | None = field(default=None, compare=False, repr=False)
    """The commit object without its signature header: the bytes the signature covers."""

    @property
    def judged(self) -> str:
        """The state, or what the header alone says: a platform key is ``platform-signed``,
        a header that does not parse is ``invalid``, any other key is unknown until a trust
        keyring vouches for it."""
        if self.state is not None:
            return self.state
        if self.signer == "platform":
            return "platform-signed"
        if self.kind in ("gpg", "ssh") and self.key_id is None:
            return "invalid"
        return "signed-unknown-key"


@dataclass(frozen=True)
class SignatureSummary:
    """How many commits of a history carry a signature, whose, and what each proves.

    The one count every consumer shows (report, probe, study), so they never disagree
    on what "signed" means. ``signed``/``author_signed``/``platform_signed`` count headers
    (as before 2.5.0 of the report); ``states`` says what the signatures prove.
    """

    commits: int
    signed: int
    author_signed: int
    platform_signed: int
    states: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(COMMIT_STATES, 0))
    """Commits per :data:`COMMIT_STATES` entry (every state present, zero when none)."""
    keyring: bool = False
    """Whether a trust keyring was given (without one no author signature can be verified)."""

    @classmethod
    def of(cls, history: Iterable[Commit], keyring: bool = False) -> SignatureSummary:
        commits = signed = author = platform = 0
        states = dict.fromkeys(COMMIT_STATES, 0)
        for commit in history:
            commits += 1
            if commit.signature is None:
                states["unsigned"] += 1
                continue
            signed += 1
            author += commit.signature.signer == "author"
            platform += commit.signature.signer == "platform"
            states[commit.signature.judged] += 1
        return cls(commits, signed, author, platform, states, keyring)


MODEL_SIGNATURE_STATES = ("verified", "invalid", "unsigned", "unverifiable")
"""What an OpenSSF model signature (OMS bundle) says about the files: ``verified`` (the bundle
verifies with the trust given and every signed file has its digest), ``invalid`` (it does not
verify, or a signed file changed or is missing), ``unsigned`` (no bundle), ``unverifiable``
(a bundle, but no trust to check it with, or no way to check it here)."""


@dataclass(frozen=True)
class ModelSignature:
    """What the package's OMS signature covers, checked against the files at this revision."""

    state: str
    """One of :data:`MODEL_SIGNATURE_STATES`."""
    reason: str
    """Why, in a line (what failed, what to pass to check it)."""
    method: str | None = None
    """``key``, ``certificate`` or ``sigstore``: how the bundle was checked; ``None`` when not."""
    signer: str | None = None
    """The key's SHA-256 fingerprint, the certificate's subject, or the Sigstore identity."""
    bundle: str | None = None
    """The bundle judged (``model.sig``); ``None`` when there is none."""
    bundles: tuple[str, ...] = ()
    """Every file that looked like a bundle."""
    files_covered: int = 0
    """Manifest entries whose digest matched the file."""
    files_unsigned: tuple[str, ...] = ()
    """Files of the package the manifest does not list (bundles and git files excepted)."""
    files_mismatched: tuple[str, ...] = ()
    """Files whose digest differs from the manifest's."""
    files_missing: tuple[str, ...] = ()
    """Files the manifest lists that the package does not have."""
    digests_from_registry: int = 0
    """Digests compared with the registry's LFS sha256 instead of hashing the bytes."""
    covers: Mapping[str, bool | None] = field(default_factory=dict)
    """``readme``, ``config``, ``tokenizer``, ``chat_template``: covered (True), present but not
    covered (False), absent from the package (None). Empty when nothing was checked."""


HUB_TASKS = frozenset(
    {
        "text-classification",
        "token-classification",
        "table-question-answering",
        "question-answering",
        "zero-shot-classification",
        "translation",
        "summarization",
        "feature-extraction",
        "text-generation",
        "text2text-generation",
        "fill-mask",
        "sentence-similarity",
        "text-to-speech",
        "text-to-audio",
        "automatic-speech-recognition",
        "audio-to-audio",
        "audio-classification",
        "audio-text-to-text",
        "voice-activity-detection",
        "depth-estimation",
        "image-classification",
        "object-detection",
        "image-segmentation",
        "text-to-image",
        "image-to-text",
        "image-to-image",
        "image-to-video",
        "unconditional-image-generation",
        "video-classification",
        "reinforcement-learning",
        "robotics",
        "tabular-classification",
        "tabular-regression",
        "tabular-to-text",
        "table-to-text",
        "multiple-choice",
        "text-ranking",
        "text-retrieval",
        "time-series-forecasting",
        "text-to-video",
        "image-text-to-text",
        "image-text-to-image",
        "image-text-to-video",
        "visual-question-answering",
        "document-question-answering",
        "zero-shot-image-classification",
        "graph-ml",
        "mask-generation",
        "zero-shot-object-detection",
        "text-to-3d",
        "image-to-3d",
        "image-feature-extraction",
        "video-text-to-text",
        "keypoint-detection",
        "visual-document-retrieval",
        "any-to-any",
        "video-to-video",
    }
)
"""The Hub's task ids (``@huggingface/tasks`` pipeline types): a card tag that is one of
these names the task when nothing else does."""


def package_task(
    card_metadata: Mapping[str, Any] | None,
    registry_task: object,
    config: Mapping[str, Any] | None = None,
) -> str | None:
    """The package's task: the card's ``pipeline_tag``, else the registry's, else the first
    ``model-index`` task, else a card tag that is a Hub task id, else what the Hub infers
    from the library and ``config.json``'s architecture, else ``None``.

    The one rule every consumer uses (audit, verify, registry listing, study).
    """
    card_task = card_metadata.get("pipeline_tag") if card_metadata else None
    if isinstance(card_task, str) and card_task.strip():
        return card_task.strip()
    if isinstance(registry_task, str) and registry_task.strip():
        return registry_task.strip()
    return (
        _model_index_task(card_metadata)
        or _tag_task(card_metadata)
        or _library_task(card_metadata)
        or _architecture_task(config)
    )


ARCHITECTURE_TASKS = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMultipleChoice", "multiple-choice"),
    ("ForMaskedLM", "fill-mask"),
    ("ForCausalLM", "text-generation"),
    ("LMHeadModel", "text-generation"),
    ("ForConditionalGeneration", "text2text-generation"),
    ("ForImageClassification", "image-classification"),
    ("ForObjectDetection", "object-detection"),
    ("ForSemanticSegmentation", "image-segmentation"),
    ("ForCTC", "automatic-speech-recognition"),
    ("ForSpeechSeq2Seq", "automatic-speech-recognition"),
    ("ForAudioClassification", "audio-classification"),
)
"""transformers head-class suffixes and the task the Hub shows for them (its widget picks
the pipeline from the architecture when the card names none)."""


def _architecture_task(config: Mapping[str, Any] | None) -> str | None:
    architectures = config.get("architectures") if config else None
    for name in architectures if isinstance(architectures, list) else []:
        for suffix, task in ARCHITECTURE_TASKS:
            if isinstance(name, str) and name.endswith(suffix):
                return task
    return None


def _library_task(card_metadata: Mapping[str, Any] | None) -> str | None:
    """sentence-transformers packages are sentence-similarity models on the Hub."""
    if not card_metadata:
        return None
    tags = card_metadata.get("tags")
    names = [card_metadata.get("library_name"), *(tags if isinstance(tags, list) else [])]
    if any(isinstance(n, str) and n.strip().lower() == "sentence-transformers" for n in names):
        return "sentence-similarity"
    return None


def model_index(card_metadata: Mapping[str, Any] | None) -> Any:
    """The card's ``model-index`` (older cards spell it ``model_index``)."""
    if not card_metadata:
        return None
    found = card_metadata.get("model-index")
    return found if found is not None else card_metadata.get("model_index")


def _tag_task(card_metadata: Mapping[str, Any] | None) -> str | None:
    """The first card tag that is a Hub task id (AutoTrain cards name their task so)."""
    tags = card_metadata.get("tags") if card_metadata else None
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, str) and tag.strip().lower() in HUB_TASKS:
            return tag.strip().lower()
    return None


def _model_index_task(card_metadata: Mapping[str, Any] | None) -> str | None:
    """The first ``task.type`` of the card's ``model-index`` results: the task the author
    evaluated for, when no ``pipeline_tag`` says it."""
    models = model_index(card_metadata)
    for model in models if isinstance(models, list) else []:
        results = model.get("results") if isinstance(model, Mapping) else None
        for result in results if isinstance(results, list) else []:
            task = result.get("task") if isinstance(result, Mapping) else None
            kind = task.get("type") if isinstance(task, Mapping) else None
            if isinstance(kind, str) and kind.strip():
                return kind.strip()
    return None


@dataclass(frozen=True)
class Person:
    """An author or committer line of a commit, as git records it (not verified)."""

    name: str
    email: str
    when: datetime


@dataclass(frozen=True)
class Commit:
    """One commit of the history: who, when, what, and its signature header if any."""

    sha: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    subject: str
    signature: Signature | None


@dataclass(frozen=True)
class RegistryMetadata:
    """A registry record in the Hub ``model_info`` shape (only the fields probes use)."""

    origin: str
    """The file or endpoint the record came from."""
    id: str | None = None
    author: str | None = None
    sha: str | None = None
    downloads: int | None = None
    downloads_all_time: int | None = None
    likes: int | None = None
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    library_name: str | None = None
    card_data: Mapping[str, Any] | None = None
    siblings: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_modified: datetime | None = None
    gated: bool | str | None = None
    private: bool | None = None


def base_models_of(card_metadata: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Every model the card's ``base_model`` names (a merge names several), in order."""
    base = (card_metadata or {}).get("base_model")
    values = base if isinstance(base, list) else [base]
    return tuple(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))


def base_model_of(card_metadata: Mapping[str, Any] | None) -> str | None:
    """The card's ``base_model`` (the first, when it lists several)."""
    return next(iter(base_models_of(card_metadata)), None)


@dataclass(frozen=True)
class Ancestor:
    """A model upstream of the package (its ``base_model``, that one's, …), as far as the
    source could look it up: licences inherited through fine-tuning are judged from these."""

    id: str
    depth: int
    """1 for the package's own base model, 2 for that one's, …"""
    licenses: tuple[str, ...] | None
    """``None``: the ancestor's record could not be read (unknown, not "no licence")."""
    found: bool
    """Whether the source found the ancestor's record at all."""
    revision: str | None = None
    """The commit the ancestor's record was read at, when the registry says."""


@dataclass(frozen=True)
class WeightFile:
    """A serialized model file, its format told from its first bytes where they are present."""

    path: str
    size: int
    format: FileFormat
    """Told from the content; from the name only when the bytes are elsewhere (``guessed``)."""
    pickle_based: bool
    """Loading it would run a pickle (or might: a pointer with a pickle-ish name)."""
    available: bool
    role: WeightRole = WeightRole.WEIGHTS
    """``weights`` or ``training-state`` (optimizer, scheduler, ``training_args.bin``)."""
    parameters: int | None = None
    dtypes: tuple[str, ...] = ()
    error: str | None = None
    """Why the header could not be read (truncated, bad offsets…)."""
    guessed: bool = False
    """The format comes from the file's name: only a pointer (LFS) is here, not the bytes."""


@dataclass(frozen=True)
class RegistryBaseline:
    """Percentile points of downloads (and likes, when known) over a registry population."""

    source: str
    """What the population is and when it was measured."""
    models: int
    downloads: tuple[float, ...]
    likes: tuple[float, ...] = ()

    def percentile(self, kind: str, value: int) -> float | None:
        """The share (0–100) of the population strictly below ``value`` (a model with no
        downloads is at 0, whatever share of the registry shares that); ``None`` without points."""
        points = self.downloads if kind == "downloads" else self.likes
        if not points:
            return None
        below = bisect_left(points, value)
        return round(min(100.0, 100.0 * below / (len(points) - 1)), 1)


@dataclass
class Transfer:
    """Bytes a remote source fetched, against the size of the whole package."""

    bytes_downloaded: int = 0
    package_bytes: int = 0
    requests: int = 0


@dataclass(frozen=True)
class Problem:
    """Something in the package that could not be parsed, kept as a fact."""

    path: str
    message: str
    line: int | None = None
    unreadable: bool = False
    """The content could not be read or parsed at all (binary card, over a size limit,
    an unreadable folder, a symlink loop): what it holds is unknown, so checks that
    needed it fail closed (``risk.unreadable_content``) instead of passing."""


@dataclass(frozen=True)
class Package:
    """A model package at one revision, as collected from its source."""

    ref: str
    source: SourceKind
    """Where it was read from (a registry record holds card, config and file names only)."""
    name: str | None
    """``owner/name`` when known (metadata, cache layout, repository name)."""
    revision: str | None
    commit: str | None
    files: tuple[FileEntry, ...]
    card: Card | None
    config: Mapping[str, Any] | None
    claims: tuple[Claim, ...]
    weights: tuple[WeightFile, ...]
    history: tuple[Commit, ...] | None
    """All commits reachable from the revision, newest first; ``None`` when unknown."""
    metadata: RegistryMetadata | None
    problems: tuple[Problem, ...] = ()
    collected_at: datetime | None = None
    scans: tuple[FileScan, ...] = ()
    """Serialization scans of the model files present (``ptmscope scan``'s results)."""
    signatures_known: bool = True
    """False when the source cannot see commit signatures (the Hub API does not show them)."""
    transfer: Transfer | None = None
    auto_maps: tuple[tuple[str, str], ...] = ()
    """``(config file, auto_map)`` for every root config that maps classes to repository
    code (config.json, tokenizer, processor and feature-extractor configs)."""
    verifications: tuple[ClaimResult, ...] | None = None
    """Claims re-measured by ``verify`` (``audit --verify``); ``None`` when not run."""
    baseline: RegistryBaseline | None = None
    """The registry population popularity is ranked against (shipped, or ``--baseline``)."""
    lineage: tuple[Ancestor, ...] = ()
    """Upstream models, nearest first, with their licences where the source could read them."""
    lineage_complete: bool = True
    """False when the walk stopped at its cap with ancestors left unread."""
    signature: ModelSignature | None = None
    """The package's OMS signature checked against its files; ``None`` when not looked for."""
    keyring: bool = False
    """Whether commit signatures were checked against a trust keyring (``--trust-keyring``)."""

    @cached_property
    def _by_path(self) -> dict[str, FileEntry]:
        return {entry.path: entry for entry in self.files}

    def file(self, path: str) -> FileEntry | None:
        return self._by_path.get(path)

    @cached_property
    def readme(self) -> FileEntry | None:
        """The root README.md entry (any case), whether or not its text could be parsed."""
        return root_file(self.files, "README.md")

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @cached_property
    def task(self) -> str | None:
        """See :func:`package_task`."""
        return package_task(
            self.card.metadata if self.card is not None else None,
            self.metadata.pipeline_tag if self.metadata is not None else None,
        )

    @cached_property
    def upstream(self) -> str | None:
        """The model this one was fine-tuned from: the card's ``base_model`` or the
        Trainer's "fine-tuned version of X"; ``None`` for a base model (or when unsaid)."""
        base = base_model_of(self.card.metadata if self.card is not None else None)
        if base is not None:
            return base
        if self.card is not None:
            found = _FINE_TUNED_FROM.search(self.card.searchable(False))
            if found:  # the line's own spelling, not the case-folded text
                line = self.card.line_at(False, found.start())
                written = _FINE_TUNED_FROM_ANY_CASE.search(line.text)
                return (written or found).group(1).strip("[]`*")
        return None

    @property
    def missing_evidence(self) -> tuple[str, ...]:
        """What the source could not show, in words a reader acts on (why coverage is low)."""
        missing = []
        if self.card is None:
            missing.append("no model card")
        if not any(w.available for w in self.weights):
            missing.append("no weights")
        if self.history is None:
            missing.append("no history")
        if self.metadata is None:
            missing.append("no registry metadata")
        return tuple(missing)

    @cached_property
    def signature_summary(self) -> SignatureSummary | None:
        """Signed commits of the history; ``None`` when the history is unknown."""
        if self.history is None:
            return None
        return SignatureSummary.of(self.history, self.keyring)
