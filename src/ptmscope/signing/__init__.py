"""Signatures you can check: OpenSSF model signing bundles and git commit signatures.

:func:`check_package` (:mod:`.oms`) says what a package's OMS bundle covers, with the trust the
user gave (:class:`TrustOptions`); :func:`verify_commits` (:mod:`.commits`) judges each commit
signature against a trust keyring. Both only read: no file of the package is executed.
"""

from __future__ import annotations

from ptmscope.signing.commits import verify_commits
from ptmscope.signing.oms import check_package, signing_available
from ptmscope.signing.trust import TrustOptions

__all__ = ["TrustOptions", "check_package", "signing_available", "verify_commits"]
