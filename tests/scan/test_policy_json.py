"""The default scan policy is edited as YAML and read as JSON at start-up: the two must hold
the same data, in the same order (rule lists are ordered; ``*_rules`` keys in file order)."""

from __future__ import annotations

import json
from importlib import resources

from ptmscope.scan.policy import DEFAULT_COMPILED, default_policy, default_policy_data


def test_the_compiled_default_policy_is_the_yaml_source() -> None:
    compiled = json.loads(resources.files("ptmscope").joinpath(DEFAULT_COMPILED).read_text("utf-8"))
    source = default_policy_data()
    assert compiled == source, "run `make policy-json` after editing data/scan_policy.yaml"
    assert list(compiled) == list(source)


def test_the_default_policy_reads_the_compiled_file() -> None:
    assert default_policy().decide("os.system").rule is not None
