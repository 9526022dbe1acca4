"""Reproducibility · environment image: the software environment to rebuild the run."""

from __future__ import annotations

from ptmscope.probes.base import Definition
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="reproducibility.environment_image",
    kind=ProbeKind.FACTOR,
    attribute="reproducibility",
    factor="environment_image",
    short="Environment specification",
    motivation=(
        "Library versions change numerics and APIs; a pinned environment or image is what "
        "makes a result reproducible later."
    ),
    implementation=(
        "Present if requirements/environment/Docker/pyproject files ship, or the card gives "
        "install commands that pin what to install (`pip install x==1.2`, `-r requirements.txt`, "
        "`conda env create`, `docker pull`) or a filled installation/"
        "requirements section, or lists the framework and library versions it was trained with "
        "(the Trainer's 'Framework versions' list, ESPnet's environment list, spaCy's version "
        "row, 'trained using Sample Factory 2.0', a pinned package list in a code block: each "
        "pins the training environment)."
    ),
    remediation=(
        "Ship `requirements.txt` (pinned) or an `environment.yml`/Dockerfile, or give the exact "
        "install command in an 'Installation' section."
    ),
)

_LIBRARY = (
    r"(transformers|pytorch|torch|tensorflow|datasets|tokenizers|jax|flax|keras|"
    r"sentence-transformers|stable-baselines3|gym|gymnasium|pytorch[ -]lightning|lightning|"
    r"numpy|python|espnet|spacy|sample[ -]factory|nemo|fairseq|timm|diffusers|accelerate|peft|"
    r"flash[_-]attn|paddlepaddle|paddlenlp|onnxruntime|scikit-learn|ultralytics|yolov5|"
    r"speechbrain|flair|allennlp)"
)
"""Frameworks and libraries whose version pins a training environment."""
_VERSION = r"[<>=~^]*v?(\d+(\.\d+)+|\d{6})\b"
"""``1.12.1``, ``>=3.4.3``, ``v2.0`` or a date version (ESPnet's ``202211``)."""

CUES = Cues(
    files=(
        r"(^|/)requirements[^/]*\.txt$", r"(^|/)environment\.ya?ml$", r"(^|/)Dockerfile$",
        r"(^|/)docker-compose\.ya?ml$", r"(^|/)pyproject\.toml$", r"\.def$", r"(^|/)setup\.py$",
    ),
    headings=(r"\binstallation\b", r"\brequirements\b", r"\benvironment\b(?!al)", r"\bsetup\b", r"\bframework versions\b"),
    prose=(
        r"\bpip install\b[^\n]*(==|>=|~=|\s-r\s)", r"\bconda (env create|create)\b", r"\bdocker (pull|run)\b",
        rf"^\W*{_LIBRARY}[\s*`|:=]*(version)?[\s*`|:=]*({_LIBRARY} )?{_VERSION}",
        rf"\b(trained|built|developed|implemented) (using|with|in) {_LIBRARY},? (version )?{_VERSION}",
    ),
    code=(
        r"\bpip install\b[^\n]*(==|>=|~=|\s-r\s)", r"\bconda (env create|create)\b", r"\bdocker (pull|run)\b",
        rf"^\s*{_LIBRARY}\s*(==|>=|~=)\s*\d",
    ),
)  # fmt: skip

PROBE = factor_probe(DEFINITION, CUES)
