"""Admission policy: one file, one decision (``allow``, ``warn``, ``deny``) for a package.

:func:`load_admission_policy` reads and checks a policy file
(:mod:`~ptmscope.policy.document`); :func:`decide` applies it to an audit's JSON
report (:mod:`~ptmscope.policy.engine`). ``ptmscope policy check`` is the CLI form;
``audit --policy`` and the registry gateway are to use the same two calls.
"""

from __future__ import annotations

from ptmscope.policy.document import AdmissionPolicy, load_admission_policy, parse_policy
from ptmscope.policy.engine import decide

__all__ = ["AdmissionPolicy", "decide", "load_admission_policy", "parse_policy"]
