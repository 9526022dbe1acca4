from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions, audit, collect
from ptmscope.errors import SourceError
from ptmscope.sources.git import GitSource
from tests.conftest import FULL_CARD, SHARED_DATA, git, lfs_pointer, write_safetensors

GIT_REPOS = SHARED_DATA / "git_repos"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "model"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# v1\nfirst version of the card\n")
    (work / "config.json").write_text('{"model_type": "gpt2"}')
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    weights = b"\x00" * 5000
    (work / "pytorch_model.bin").write_text(
        lfs_pointer(hashlib.sha256(weights).hexdigest(), len(weights))
    )
    (work / "README.md").write_text(FULL_CARD)
    write_safetensors(work / "model.safetensors")
    git(work, "add", ".")
    git(
        work,
        "commit",
        "-q",
        "-m",
        "second",
        env={
            "GIT_COMMITTER_NAME": "huggingface-web",
            "GIT_COMMITTER_EMAIL": "noreply@huggingface.co",
        },
    )
    return work


def test_reads_objects_at_any_revision_without_checkout(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    head = collect(bare)
    assert head.source == "git" and head.commit is not None and len(head.commit) == 40
    pointer = head.file("pytorch_model.bin")
    assert pointer is not None and pointer.lfs is not None and pointer.size == 5000
    assert not pointer.available
    assert head.card is not None and head.card.metadata["license"] == "apache-2.0"
    old = collect(bare, AuditOptions(revision="v1"))
    assert old.file("model.safetensors") is None
    assert old.card is not None and old.card.metadata["license"] == "mit"
    assert [c.subject for c in head.history or ()] == ["second", "first"]
    assert head.history is not None and head.history[0].committer.email == "noreply@huggingface.co"
    # A work tree is read from its objects too, at any revision.
    assert collect(repo, AuditOptions(revision="v1")).card.metadata["license"] == "mit"  # type: ignore[union-attr]


def test_lfs_pointer_weights_raise_the_risk(repo: Path) -> None:
    (repo / "model.safetensors").unlink()
    git(repo, "rm", "-q", "--cached", "model.safetensors")
    git(repo, "commit", "-q", "-m", "drop safetensors")
    result = audit(repo)
    risks = {f.probe: f for f in result.scorecard.risks}
    assert "risk.weights_absent" in risks and "risk.pickle_weights" in risks
    assert "5,000 bytes" in risks["risk.weights_absent"].evidence[0].detail


def test_unknown_revision_and_corrupt_repository(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown revision") as caught:
        GitSource(repo, revision="no-such-branch")
    # what could be passed instead, and which branch HEAD names (main asked of master)
    branch = git(repo, "symbolic-ref", "--short", "HEAD").strip()
    assert f"branches: {branch}" in str(caught.value) and "tags: v1" in str(caught.value)
    assert f"HEAD is {branch!r}" in str(caught.value)
    broken = tmp_path / "broken.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(broken)], check=True)
    for pack in (broken / "objects").rglob("*"):
        if pack.is_file() and pack.parent.name != "info":
            pack.chmod(0o644)
            pack.write_bytes(b"garbage")
    with pytest.raises(SourceError):
        collect(broken)


def _ssh_signing_env(tmp_path: Path, repo: Path) -> str:
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(key))
    out = subprocess.run(["ssh-keygen", "-lf", str(key) + ".pub"], check=True, capture_output=True)
    return out.stdout.decode().split()[1]


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
def test_throwaway_ssh_key_signature_is_read_and_classified(repo: Path, tmp_path: Path) -> None:
    fingerprint = _ssh_signing_env(tmp_path, repo)
    (repo / "notes.md").write_text("signed change")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-q", "-S", "-m", "signed by the author")
    (repo / "notes.md").write_text("platform change")
    git(repo, "add", "notes.md")
    git(
        repo,
        "commit",
        "-q",
        "-S",
        "-m",
        "merged on the web",
        env={"GIT_COMMITTER_NAME": "system", "GIT_COMMITTER_EMAIL": "system@huggingface.co"},
    )
    history = collect(repo).history
    assert history is not None
    platform, author = history[0].signature, history[1].signature
    assert author is not None and author.kind == "ssh" and author.signer == "author"
    assert author.key_id == fingerprint
    assert (
        platform is not None
        and platform.signer == "platform"
        and platform.platform == "huggingface"
    )
    assert history[2].signature is None
    finding = next(f for f in audit(repo).findings if f.probe == "risk.history_unsigned")
    assert finding.outcome == "detected" and finding.severity is not None
    assert finding.severity.label == "low"  # author signature exists, but HEAD is a platform commit


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not installed")
def test_throwaway_gpg_key_signature_gives_its_key_id(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", "Ada <ada@example.org>", "ed25519", "sign", "never"],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    listing = subprocess.run(
        ["gpg", "--list-keys", "--with-colons"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    ).stdout
    key_id = next(line.split(":")[4] for line in listing.splitlines() if line.startswith("pub:"))
    git(repo, "config", "user.signingkey", key_id)
    (repo / "notes.md").write_text("gpg-signed change")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-q", "-S", "-m", "signed with gpg", env=env)
    history = collect(repo).history
    assert history is not None
    signature = history[0].signature
    assert signature is not None and signature.kind == "gpg"
    assert signature.key_id == key_id and signature.signer == "author"
    # without a keyring the signature is an unknown key's: a low risk, not proof
    finding = next(f for f in audit(repo).findings if f.probe == "risk.history_unsigned")
    assert finding.outcome == "detected" and finding.severity is not None
    assert finding.severity.label == "low"
    keyring = tmp_path / "ada.asc"
    exported = subprocess.run(
        ["gpg", "--armor", "--export", key_id],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    ).stdout
    keyring.write_bytes(exported)
    from ptmscope.audit import AuditOptions
    from ptmscope.signing import TrustOptions

    trusted = audit(repo, AuditOptions(trust=TrustOptions(keyrings=(keyring,))))
    finding = next(f for f in trusted.findings if f.probe == "risk.history_unsigned")
    assert finding.outcome == "clear"


@pytest.mark.skipif(not GIT_REPOS.is_dir(), reason="shared/data/registry/git_repos not available")
def test_real_hub_histories_match_the_commit_table() -> None:
    rows = list(csv.DictReader((GIT_REPOS / "commits.csv").open()))
    expected = {r["commit"]: r for r in rows}
    seen = 0
    signed_seen = 0
    for bare in sorted(GIT_REPOS.glob("*.git")):
        package = collect(bare)
        assert package.history is not None and package.files
        for commit in package.history:
            row = expected.get(commit.sha)
            if row is None:
                continue
            seen += 1
            assert commit.author.email == row["author_email"]
            assert commit.committer.email == row["committer_email"]
            if row["signature_class"] == "none":
                assert commit.signature is None
            else:
                assert commit.signature is not None
                signed_seen += 1
                assert commit.signature.key_id == row["signing_key"]
                assert commit.signature.signer == "platform"
                platform = {"platform_hf": "huggingface", "platform_github": "github"}
                assert commit.signature.platform == platform[row["signature_class"]]
    # The table also lists commits of mirror branches not reachable from HEAD.
    assert seen >= 0.9 * len(rows)
    assert signed_seen == sum(1 for r in rows if r["signature_class"] != "none") == 3
    # LFS pointers carry the true sizes of the weights (siblings.jsonl lists them).
    gpt2 = collect(GIT_REPOS / "gpt2-xl.git")
    bin_file = gpt2.file("pytorch_model.bin")
    assert bin_file is not None and bin_file.lfs is not None and bin_file.size > 6_000_000_000


def test_linked_work_tree_is_read(repo: Path, tmp_path: Path) -> None:
    """``git worktree add`` leaves a ``.git`` file ("gitdir: …"), not a folder."""
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "v1")
    assert (linked / ".git").is_file()
    package = collect(linked)
    assert package.source == "git" and package.commit == git(repo, "rev-parse", "v1")


def test_a_failed_copy_does_not_desynchronise_later_reads(repo: Path, tmp_path: Path) -> None:
    """A copy that fails halfway (a full disk) leaves the rest of the object in git's pipe;
    the next read must not take those bytes for its answer."""
    from ptmscope.sources.git import GitSource

    source = GitSource(repo)
    try:
        big = next(f for f in source.files() if f.path == "model.safetensors")
        card = next(f for f in source.files() if f.path == "README.md")

        class FullDisk(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, data: object) -> int:
                raise OSError(28, "No space left on device")

        assert big.git_oid is not None
        with pytest.raises(OSError):
            source._catfile().copy(big.git_oid, FullDisk())  # type: ignore[arg-type]
        assert card.read() == (repo / "README.md").read_bytes()
    finally:
        source.close()
