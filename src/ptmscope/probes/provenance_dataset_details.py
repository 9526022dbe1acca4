"""Provenance · dataset details: what the model was trained and evaluated on."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import Definition, Evidence
from ptmscope.probes.cues import Cues, factor_probe
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="provenance.dataset_details",
    kind=ProbeKind.FACTOR,
    attribute="provenance",
    factor="dataset_details",
    short="Dataset details",
    motivation=(
        "Reusers judge fitness, bias and licence obligations from the training data; "
        "poisoned or unknown upstream datasets are a supply-chain risk."
    ),
    implementation=(
        "Present if the card YAML lists `datasets`, a claim names its dataset, a filled "
        "training/evaluation-data section exists, or prose links a dataset or counts examples."
    ),
    remediation=(
        "List training datasets under `datasets:` in the card YAML (Hub ids) and describe "
        "them, with sizes and preprocessing, in a 'Training data' section."
    ),
)

CUES = Cues(
    yaml=("datasets",),
    headings=(r"training (and evaluation )?data", r"\bdatasets?\b", r"testing data", r"data(set)? card"),
    prose=(
        r"huggingface\.co/datasets/",
        r"\b(trained|fine-?tuned|pre-?trained) on (the )?\S",
        r"\b\d[\d,.]*\s*(k|m|million|billion)?\s*(examples|samples|images|sentences|tokens|hours|pairs)\b",
    ),
)  # fmt: skip


def _claims(package: Package) -> list[Evidence]:
    for claim in package.claims:
        if claim.dataset and claim.source in ("model-index", "eval_results"):
            return [Evidence(claim.location, f"evaluated on {claim.dataset}")]
    return []


PROBE = factor_probe(DEFINITION, CUES, _claims)
