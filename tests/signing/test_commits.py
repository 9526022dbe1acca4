"""Commit signatures verified against a trust keyring with the real gpg and ssh-keygen.

Keys are made in temporary homes (never the user's keyring); commits are signed by the real
git: one by a trusted OpenPGP key, one by a trusted SSH key, one by a key nobody trusts, one
platform-style (a forge committer), one unsigned, and one whose signed content was changed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from ptmscope.formats.report import schema
from tests.conftest import git

pytestmark = pytest.mark.skipif(
    shutil.which("gpg") is None or shutil.which("ssh-keygen") is None,
    reason="needs gpg and ssh-keygen (apt-get install gnupg openssh-client)",
)


@dataclass(frozen=True)
class PgpKey:
    home: Path
    fingerprint: str


def _gpg(home: Path, *args: str, stdin: bytes = b"") -> bytes:
    done = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-tty", *args],
        input=stdin,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def make_pgp_key(home: Path, uid: str) -> PgpKey:
    home.mkdir(mode=0o700, parents=True)
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
    listing = _gpg(home, "--with-colons", "--list-secret-keys").decode()
    fingerprint = re.search(r"^fpr:+([0-9A-F]{40}):", listing, re.MULTILINE)
    assert fingerprint is not None
    return PgpKey(home, fingerprint.group(1))


def make_ssh_key(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", str(key)],
        check=True,
        timeout=60,
    )
    return key


@dataclass(frozen=True)
class Fixture:
    repo: Path
    armored: Path
    binary: Path
    allowed_signers: Path


def _commit(repo: Path, message: str, *config: str, env: dict[str, str] | None = None) -> None:
    (repo / "README.md").write_text(f"---\nlicense: mit\n---\n# model\n\n{message}\n")
    git(repo, "add", "-A")
    args = [a for pair in (("-c", c) for c in config) for a in pair]
    git(repo, *args, "commit", "-q", *(["-S"] if config else []), "-m", message, env=env)


@pytest.fixture(scope="module")
def signed_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    base = tmp_path_factory.mktemp("commits")
    trusted = make_pgp_key(base / "gnupg-trusted", "Ada <ada@example.org>")
    stranger = make_pgp_key(base / "gnupg-stranger", "Eve <eve@example.org>")
    ssh_key = make_ssh_key(base / "ssh")
    repo = base / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    try:
        _commit(repo, "unsigned upload")
        _commit(
            repo, "by a key nobody trusts", f"user.signingkey={stranger.fingerprint}",
            env={"GNUPGHOME": str(stranger.home)},
        )  # fmt: skip
        _commit(
            repo, "platform style", f"user.signingkey={stranger.fingerprint}",
            env={"GNUPGHOME": str(stranger.home), "GIT_COMMITTER_NAME": "GitHub",
                 "GIT_COMMITTER_EMAIL": "noreply@github.com"},
        )  # fmt: skip
        _commit(repo, "ssh signed", "gpg.format=ssh", f"user.signingkey={ssh_key}")
        _commit(
            repo, "pgp signed", f"user.signingkey={trusted.fingerprint}",
            env={"GNUPGHOME": str(trusted.home)},
        )  # fmt: skip
    finally:
        for home in (trusted.home, stranger.home):
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                capture_output=True,
                check=False,
            )
    armored = base / "trusted.asc"
    armored.write_bytes(_gpg(trusted.home, "--armor", "--export", trusted.fingerprint))
    binary = base / "trusted.gpg"
    binary.write_bytes(_gpg(trusted.home, "--export", trusted.fingerprint))
    signers = base / "allowed_signers"
    public = (ssh_key.parent / "id_ed25519.pub").read_text().split()
    signers.write_text(f"ada@example.org {public[0]} {public[1]}\n")
    yield Fixture(repo, armored, binary, signers)


def audit(*args: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "audit", *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema())
    return done.returncode, report


def history_finding(report: dict[str, object]) -> dict[str, object]:
    return next(f for f in report["findings"] if f["probe"] == "risk.history_unsigned")  # type: ignore[attr-defined, index, no-any-return]


def test_each_commit_gets_its_state(signed_repo: Fixture) -> None:
    _, report = audit(
        str(signed_repo.repo), "--trust-keyring", str(signed_repo.armored),
        "--trust-keyring", str(signed_repo.allowed_signers),
    )  # fmt: skip
    history = report["package"]["history"]  # type: ignore[index]
    assert history["keyring"] is True
    assert history["states"] == {
        "author-verified": 2, "signed-unknown-key": 1, "platform-signed": 1,
        "invalid": 0, "unsigned": 1,
    }  # fmt: skip
    assert history["commits"] == 5 and history["signed"] == 4
    finding = history_finding(report)
    assert finding["outcome"] == "clear", finding  # the newest commit is author-verified
    assert any("ada@example.org" in e["detail"] for e in finding["evidence"])  # type: ignore[attr-defined]


def test_binary_keyring_verifies_too(signed_repo: Fixture) -> None:
    _, report = audit(str(signed_repo.repo), "--trust-keyring", str(signed_repo.binary))
    states = report["package"]["history"]["states"]  # type: ignore[index]
    # only the OpenPGP key is trusted now: the SSH-signed commit is an unknown key
    assert states["author-verified"] == 1 and states["signed-unknown-key"] == 2


def test_without_a_keyring_no_author_is_verified(signed_repo: Fixture) -> None:
    _, report = audit(str(signed_repo.repo))
    history = report["package"]["history"]  # type: ignore[index]
    assert history["keyring"] is False
    assert history["states"]["author-verified"] == 0
    assert history["states"]["signed-unknown-key"] == 3
    finding = history_finding(report)
    assert finding["outcome"] == "detected" and finding["severity"] == "low"
    assert "--trust-keyring" in str(finding["message"])


def test_changed_signed_content_is_invalid(signed_repo: Fixture, tmp_path: Path) -> None:
    repo = tmp_path / "tampered.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(signed_repo.repo), str(repo)], check=True)
    head = git(repo, "rev-parse", "HEAD").strip()
    raw = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "commit", head], capture_output=True, check=True
    ).stdout
    forged = raw.replace(b"pgp signed", b"pgp signed, then changed")
    assert forged != raw
    new = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=forged, capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip
    git(repo, "update-ref", "refs/heads/main", new)
    code, report = audit(
        str(repo), "--trust-keyring", str(signed_repo.armored),
        "--trust-keyring", str(signed_repo.allowed_signers), "--fail-on", "high",
    )  # fmt: skip
    states = report["package"]["history"]["states"]  # type: ignore[index]
    assert states["invalid"] == 1 and states["author-verified"] == 1
    finding = history_finding(report)
    assert finding["severity"] == "high" and code == 1
    assert "BADSIG" in json.dumps(finding["evidence"])


def test_a_keyring_file_with_junk_is_refused(signed_repo: Fixture, tmp_path: Path) -> None:
    junk = tmp_path / "keys.txt"
    junk.write_text("this is not a key\n")
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "audit", str(signed_repo.repo),
         "--trust-keyring", str(junk)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "allowed-signers" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _rewrite(repo: Path, sha: str, *changes: tuple[bytes, bytes]) -> str:
    """Write a copy of commit ``sha`` with ``changes`` made to its object (signature kept)."""
    raw = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "commit", sha], capture_output=True, check=True
    ).stdout
    for old, new in changes:
        raw = raw.replace(old, new)
    return subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=raw, capture_output=True, check=True,
    ).stdout.decode().strip()  # fmt: skip


def test_a_changed_commit_with_a_forge_committer_is_invalid_not_platform_signed(
    tmp_path: Path,
) -> None:
    """A forge committer (noreply@github.com, noreply@huggingface.co) marks a commit as the
    platform's, but its signature must still verify: a commit changed after signing, by a key
    the keyring trusts or an SSH key (whose signature checks against its own key), is invalid,
    not platform-signed (which would lower a high risk to low)."""
    ada = make_pgp_key(tmp_path / "gnupg", "Ada <ada@example.org>")
    ssh_key = make_ssh_key(tmp_path / "ssh")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    try:
        _commit(repo, "unsigned upload")
        _commit(
            repo, "pgp by a forge", f"user.signingkey={ada.fingerprint}",
            env={"GNUPGHOME": str(ada.home), "GIT_COMMITTER_NAME": "GitHub",
                 "GIT_COMMITTER_EMAIL": "noreply@github.com"},
        )  # fmt: skip
        _commit(
            repo, "ssh by a forge", "gpg.format=ssh", f"user.signingkey={ssh_key}",
            env={"GIT_COMMITTER_NAME": "HF", "GIT_COMMITTER_EMAIL": "noreply@huggingface.co"},
        )  # fmt: skip
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(ada.home), "--kill", "gpg-agent"],
            capture_output=True,
            check=False,
        )
    keyring = tmp_path / "ada.asc"
    keyring.write_bytes(_gpg(ada.home, "--armor", "--export", ada.fingerprint))
    public = (ssh_key.parent / "id_ed25519.pub").read_text().split()
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"ada@example.org {public[0]} {public[1]}\n")
    args = ("--trust-keyring", str(keyring), "--trust-keyring", str(signers))

    _, report = audit(str(repo), *args)
    assert report["package"]["history"]["states"]["platform-signed"] == 2  # type: ignore[index]

    newest, middle, _ = git(repo, "rev-list", "HEAD").split()
    changed = _rewrite(repo, middle, (b"pgp by a forge", b"pgp by a forge, then changed"))
    head = _rewrite(
        repo, newest, (middle.encode(), changed.encode()), (b"ssh by a forge", b"ssh, changed")
    )
    git(repo, "update-ref", "refs/heads/main", head)
    code, report = audit(str(repo), *args, "--fail-on", "high")
    states = report["package"]["history"]["states"]  # type: ignore[index]
    assert states["invalid"] == 2 and states["platform-signed"] == 0, states
    finding = history_finding(report)
    assert finding["severity"] == "high" and code == 1
