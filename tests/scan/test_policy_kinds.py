"""Allowances name what they allow: a class or a function, referenced, constructed or called."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.results.scan import FileVerdict
from ptmscope.scan.policy import Kind, Use, default_policy, kind_of, load_policy
from ptmscope.scan.scanner import scan_bytes
from ptmscope.severity import Severity


def test_kind_of_names() -> None:
    assert kind_of("torch.nn.modules.linear.Linear") is Kind.CLASS
    assert kind_of("torch.utils.data.datapipes.utils.decoder.basichandlers") is Kind.FUNCTION
    assert kind_of("numpy.ndarray", Use.CONSTRUCTED) is Kind.CLASS  # NEWOBJ only takes types
    assert kind_of("sklearn.neighbors._kd_tree.KDTree.query") is Kind.FUNCTION  # a method


def test_namespaces_allow_their_classes_not_calls_to_their_functions() -> None:
    policy = default_policy()
    name = "torch.utils.data.datapipes.utils.decoder.basichandlers"
    called = policy.decide(name, Kind.FUNCTION, Use.CALLED)
    assert called.rule is None and policy.severity_for(called, Use.CALLED) is Severity.HIGH
    referenced = policy.decide(name, Kind.FUNCTION, Use.REFERENCED)
    assert referenced.rule is not None and referenced.rule.severity is Severity.LOW
    sampler = policy.decide("torch.utils.data.sampler.RandomSampler", Kind.CLASS, Use.CALLED)
    assert sampler.rule is not None and sampler.rule.severity is Severity.LOW
    hints = policy.decide("typing.get_type_hints", Kind.FUNCTION, Use.CALLED)
    assert policy.severity_for(hints, Use.CALLED) is Severity.HIGH
    # named reconstructors are allowed to be called; critical rules ignore kind and use
    newobj = policy.decide("sklearn.neighbors._kd_tree.newObj", Kind.FUNCTION, Use.CALLED)
    assert newobj.rule is not None and newobj.rule.severity is Severity.LOW
    for use in Use:
        rule = policy.decide("os.system", Kind.FUNCTION, use).rule
        assert rule is not None and rule.severity is Severity.CRITICAL
    unknown = policy.decide("mylib.Model", Kind.CLASS, Use.CONSTRUCTED)
    assert policy.severity_for(unknown, Use.CONSTRUCTED) is Severity.MEDIUM
    assert policy.severity_for(unknown, Use.REFERENCED) is Severity.MEDIUM


def test_a_user_rule_names_kind_and_use(tmp_path: Path) -> None:
    data = b"\x80\x04cmylib.codec\ndecode\n(K\x01tR."
    assert scan_bytes(data).verdict is FileVerdict.MALICIOUS  # an unlisted function, called
    only_referenced = tmp_path / "ref.yaml"
    only_referenced.write_text(
        "rules:\n  - allow: true\n    use: referenced\n    match: ['mylib.*']\n"
    )
    assert scan_bytes(data, policy=load_policy([only_referenced])).verdict is FileVerdict.MALICIOUS
    named = tmp_path / "called.yaml"
    named.write_text(
        "house_rules:\n  - allow: true\n    kind: function\n    use: [called]\n"
        "    match: [mylib.codec.decode]\n"
    )
    assert scan_bytes(data, policy=load_policy([named])).verdict is FileVerdict.CLEAN


def test_constructed_classes_say_so() -> None:
    import argparse

    scan = scan_bytes(pickle.dumps(argparse.Namespace(a=1), protocol=4))
    finding = next(f for f in scan.findings if f.target == "argparse.Namespace")
    assert finding.message.startswith("constructs argparse.Namespace")


@pytest.mark.parametrize(
    "text",
    [
        "rules: [{allow: true, kind: module, match: x}]",
        "rules: [{allow: true, use: [executed], match: x}]",
        "extra_rules: {match: x}",
    ],
)
def test_bad_kinds_and_uses_are_input_errors(text: str, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        load_policy([path])
