"""The policy is data: users allow their own classes, forbid more, and bad files are input errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.results.scan import FileVerdict
from ptmscope.scan.policy import default_policy, load_policy, normalize
from ptmscope.scan.scanner import scan_bytes
from ptmscope.severity import Severity
from tests.scan.test_pickle_vm import Plain


def test_default_policy_decisions() -> None:
    policy = default_policy()
    assert policy.decide("torch._utils._rebuild_tensor_v2").allowed
    assert policy.decide("numpy.core.multiarray._reconstruct").allowed
    assert policy.decide("collections.OrderedDict").allowed
    for dangerous in ("os.system", "posix.system", "subprocess.Popen", "builtins.eval", "runpy._run_code",
                      "torch.hub.load", "asyncio.unix_events._UnixSubprocessTransport", "marshal.loads"):  # fmt: skip
        rule = policy.decide(dangerous).rule
        assert rule is not None and rule.severity is Severity.CRITICAL, dangerous
    low = policy.decide("transformers.training_args.TrainingArguments").rule
    assert low is not None and low.severity is Severity.LOW
    assert policy.decide("mypackage.Model").rule is None  # falls to the defaults
    assert normalize("__builtin__", "eval") == "builtins.eval"
    assert normalize("copy_reg", "_reconstructor") == "copyreg._reconstructor"


def test_user_policy_allows_and_forbids(tmp_path: Path) -> None:
    data = pickle.dumps(Plain(), protocol=2)
    assert scan_bytes(data).verdict is FileVerdict.SUSPICIOUS  # unlisted class, instantiated
    allow = tmp_path / "allow.yaml"
    allow.write_text(f"version: 1\nrules:\n  - allow: true\n    match: ['{Plain.__module__}.*']\n")
    assert scan_bytes(data, policy=load_policy([allow])).verdict is FileVerdict.CLEAN
    forbid = tmp_path / "forbid.yaml"
    forbid.write_text(
        "rules:\n  - severity: critical\n    category: house-rule\n    reason: no dicts\n    match: [collections.OrderedDict]\n"
    )
    import collections

    ordered = pickle.dumps(collections.OrderedDict(a=1), protocol=2)
    result = scan_bytes(ordered, policy=load_policy([forbid]))
    assert (
        result.findings[0].rule == "pickle.house_rule" and "no dicts" in result.findings[0].message
    )


@pytest.mark.parametrize(
    "text",
    [
        "rules: [{match: os.system}]",
        "rules: [{severity: fatal, match: x}]",
        "nonsense: 1",
        "- a\n- b",
        "rules: [{allow: true}]",
        "{",
    ],
)
def test_bad_policy_files_are_input_errors(text: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        load_policy([path])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{severity: high, reason: r, match: os.system}", "`match` is a list"),
        ("{severity: high, reason: r, match: []}", "`match` is a list"),
        ("{severity: high, match: [os.system]}", "needs a `reason`"),
        ("{severity: high, reason: '  ', match: [os.system]}", "needs a `reason`"),
        ("{severity: high, reason: r, match: [os.system], severty: low}", "unknown keys severty"),
        ("{allow: 'yes', match: [os.system]}", "`allow` is true or false"),
    ],
    ids=[
        "match-string",
        "match-empty",
        "no-reason",
        "blank-reason",
        "misspelt-key",
        "allow-string",
    ],
)
def test_rules_are_read_strictly(rule: str, message: str, tmp_path: Path) -> None:
    """A rule that would silently mean something else than its author wrote (issue 14)."""
    path = tmp_path / "p.yaml"
    path.write_text(f"version: 1\nrules: [{rule}]\n")
    with pytest.raises(InputError, match=message):
        load_policy([path])


def test_glob_matching_by_hand_agrees_with_fnmatch() -> None:
    """The first names a rule sees are matched by hand (no regex to compile for a one-file
    scan), later ones by the compiled globs: both must be ``fnmatch``'s answer."""
    import fnmatch
    import random

    from ptmscope.scan.policy import HAND_MATCHES, _Matcher

    rng = random.Random(11)
    alphabet = "ab.*_"
    patterns = ["*.get_file", "keras.*.Lambda", "*keras*.utils.*", "a*b*a", "*", "a.*", "x?y"]
    patterns += [
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 7))) for _ in range(60)
    ]
    names = ["keras.src.layers.Lambda", "tf.keras.utils.get_file", "a.b", "aba", "ab", "xzy"]
    names += ["".join(rng.choice("ab._") for _ in range(rng.randrange(0, 8))) for _ in range(400)]

    def expected(pattern: str, name: str) -> bool:
        stem = pattern[:-2]
        if pattern.endswith(".*") and not any(c in stem for c in "*?["):
            return name == stem or name.startswith(stem + ".")  # a namespace, itself included
        return fnmatch.fnmatchcase(name, pattern)

    for pattern in patterns:
        matcher = _Matcher.build([pattern])
        for name in names * 2:  # past HAND_MATCHES the compiled form answers
            assert matcher.matches(name) == expected(pattern, name), (pattern, name)
    assert len(names) * 2 > HAND_MATCHES
