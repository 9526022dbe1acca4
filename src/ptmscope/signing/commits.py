"""Verify commit signatures against a trust keyring with the real ``gpg`` and ``ssh-keygen``.

Git signs a commit by putting a detached signature of the commit object (without that header)
into its ``gpgsig`` header; ``git verify-commit`` hands both to ``gpg`` or ``ssh-keygen``. We
do the same from the objects already read, so a blob-less Hub clone, a bare mirror and a work
tree are checked alike, and the user's own keyring and agent are never touched: OpenPGP keys
are imported into a GNUPGHOME made for this audit (removed after), SSH keys are named in an
allowed-signers file written beside it.

Each commit ends in one of :data:`~ptmscope.package.COMMIT_STATES`. A platform's signature
(the Hub's web commits, GitHub's web flow) is ``platform-signed`` whoever's keyring holds the
key (unless it does not verify: then it is ``invalid``): it says which forge wrote the commit,
not who authored it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.package import Commit, Signature
from ptmscope.signing.trust import read_trust_file

MAX_VERIFIED_COMMITS = 5_000
"""Signed commits verified per history (two tool runs each at most); later ones keep the state
their header gives (``signed-unknown-key``, ``platform-signed``) with the reason "not checked"."""
TOOL_TIMEOUT_S = 30
"""Seconds one ``gpg`` or ``ssh-keygen`` run may take."""
SSH_NAMESPACE = "git"

_PGP_BLOCK = re.compile(
    rb"-----BEGIN PGP PUBLIC KEY BLOCK-----.*?-----END PGP PUBLIC KEY BLOCK-----", re.DOTALL
)
_SSH_KEY_TYPE = re.compile(r"(^|\s)(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+)(\s|$)")


@dataclass(frozen=True)
class Keyring:
    """Trusted keys, ready for the tools: a private GNUPGHOME and an allowed-signers file."""

    folder: Path
    gnupg_home: Path | None
    """``None`` when no OpenPGP key was given."""
    allowed_signers: Path | None
    """``None`` when no SSH key was given."""
    pgp_keys: int
    ssh_keys: int


def _tool_env(folder: Path, gnupg_home: Path | None = None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(folder)}
    if gnupg_home is not None:
        env["GNUPGHOME"] = str(gnupg_home)
    return env


def _run(
    command: list[str], folder: Path, *, stdin: bytes = b"", gnupg_home: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    tool = command[0]
    try:
        return subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            env=_tool_env(folder, gnupg_home),
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        package = "gnupg" if tool == "gpg" else "openssh-client"
        raise InputError(
            f"{tool} is not installed; it is needed to verify commit signatures "
            f"(apt-get install {package})"
        ) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{tool} did not answer in {TOOL_TIMEOUT_S} s") from None


def _gpg(home: Path, *args: str) -> list[str]:
    return ["gpg", "--homedir", str(home), "--batch", "--no-tty", "--no-autostart", *args]


def _split(flag: str, path: Path) -> tuple[list[bytes], list[str]]:
    """OpenPGP key material and allowed-signers lines of one keyring file."""
    data = read_trust_file(flag, path)
    blocks = _PGP_BLOCK.findall(data)
    if not blocks and data[:1] and data[0] & 0x80:
        return [data], []  # a binary (non-armored) OpenPGP keyring
    rest = _PGP_BLOCK.sub(b"", data).decode("utf-8", "replace")
    lines = []
    for line in rest.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not _SSH_KEY_TYPE.search(line):
            raise InputError(
                f"{flag} {path}: neither an OpenPGP key nor an allowed-signers line: {line[:60]!r}"
            )
        lines.append(line)
    return blocks, lines


@contextmanager
def open_keyring(paths: Sequence[Path]) -> Iterator[Keyring]:
    """Import the keyring files into a temporary GNUPGHOME and allowed-signers file."""
    folder = Path(tempfile.mkdtemp(prefix="ptmscope-keyring-"))
    try:
        pgp: list[bytes] = []
        ssh: list[str] = []
        for path in paths:
            blocks, lines = _split("--trust-keyring", path)
            if not blocks and not lines:
                raise InputError(f"--trust-keyring {path}: no key in it")
            pgp += blocks
            ssh += lines
        home = None
        if pgp:
            home = folder / "gnupg"
            home.mkdir(mode=0o700)
            keys = folder / "keys.pgp"
            keys.write_bytes(b"\n".join(pgp))
            done = _run(_gpg(home, "--import", str(keys)), folder, gnupg_home=home)
            if done.returncode != 0:
                detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
                raise InputError(
                    f"--trust-keyring: gpg could not import the keys: {detail[-1] if detail else done.returncode}"
                )
        signers = None
        if ssh:
            signers = folder / "allowed_signers"
            signers.write_text("\n".join(ssh) + "\n")
        yield Keyring(folder, home, signers, len(pgp), len(ssh))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _status(lines: list[str]) -> tuple[str, str | None, str]:
    """(state, principal, reason) from ``gpg --status-fd`` output."""
    codes = {
        line.split()[1]: line
        for line in lines
        if line.startswith("[GNUPG:] ") and len(line.split()) > 1
    }
    if "BADSIG" in codes:
        return "invalid", None, "gpg: BADSIG (the commit or its signature was changed)"
    if "REVKEYSIG" in codes:
        return "invalid", None, "gpg: the key was revoked"
    for good in ("GOODSIG", "EXPKEYSIG", "EXPSIG"):
        if good in codes:
            parts = codes[good].split(maxsplit=3)
            user = parts[3] if len(parts) > 3 else None
            note = "" if good == "GOODSIG" else " (expired)"
            return "author-verified", user, f"gpg: good signature{note}"
    if "NO_PUBKEY" in codes:
        return "signed-unknown-key", None, "key not in the trust keyring"
    if "ERRSIG" in codes:
        return "invalid", None, "gpg: the signature cannot be checked (ERRSIG)"
    return "invalid", None, "gpg: no verdict"


def _verify_gpg(signature: Signature, keyring: Keyring) -> Signature:
    if keyring.gnupg_home is None:
        return replace(
            signature, state="signed-unknown-key", reason="no OpenPGP key in the keyring"
        )
    folder = Path(tempfile.mkdtemp(dir=keyring.folder))
    try:
        (folder / "sig.asc").write_text(signature.armored or "")
        (folder / "payload").write_bytes(signature.payload or b"")
        done = _run(
            _gpg(keyring.gnupg_home, "--status-fd", "1", "--trust-model", "always", "--verify",
                 str(folder / "sig.asc"), str(folder / "payload")),
            keyring.folder, gnupg_home=keyring.gnupg_home,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    state, user, reason = _status(done.stdout.decode("utf-8", "replace").splitlines())
    return replace(signature, state=state, principal=user, reason=reason)


def _verify_ssh(signature: Signature, keyring: Keyring) -> Signature:
    folder = Path(tempfile.mkdtemp(dir=keyring.folder))
    try:
        sig = folder / "sig"
        sig.write_text((signature.armored or "").strip() + "\n")
        payload = signature.payload or b""
        if keyring.allowed_signers is not None:
            found = _run(
                ["ssh-keygen", "-Y", "find-principals", "-s", str(sig),
                 "-f", str(keyring.allowed_signers)],
                keyring.folder,
            )  # fmt: skip
            principals = found.stdout.decode("utf-8", "replace").split()
            if found.returncode == 0 and principals:
                done = _run(
                    ["ssh-keygen", "-Y", "verify", "-f", str(keyring.allowed_signers),
                     "-I", principals[0], "-n", SSH_NAMESPACE, "-s", str(sig)],
                    keyring.folder, stdin=payload,
                )  # fmt: skip
                if done.returncode == 0:
                    return replace(
                        signature, state="author-verified", principal=principals[0],
                        reason="ssh-keygen: good signature",
                    )  # fmt: skip
                return replace(
                    signature, state="invalid", principal=principals[0],
                    reason="ssh-keygen: the signature does not verify with the trusted key",
                )  # fmt: skip
        # Not a trusted key: still, a signature that does not match its own key is invalid.
        done = _run(
            ["ssh-keygen", "-Y", "check-novalidate", "-n", SSH_NAMESPACE, "-s", str(sig)],
            keyring.folder, stdin=payload,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        return replace(
            signature, state="invalid", reason="ssh-keygen: the signature does not verify"
        )
    return replace(signature, state="signed-unknown-key", reason="key not in the trust keyring")


def judge(signature: Signature, keyring: Keyring) -> Signature:
    """One commit signature's state against ``keyring``.

    A platform's commit (a forge key id or committer) is checked too: the committer line is
    part of what anyone can write, so a commit changed after signing must read ``invalid``
    (when the tools can tell: a trusted key's ``BADSIG``, an SSH signature that fails against
    its own key), never ``platform-signed``. Otherwise it stays ``platform-signed`` whoever's
    key made it: it says which forge wrote it, not who authored it.
    """
    if signature.signer == "platform":
        checked = _verify(signature, keyring)
        if checked.state == "invalid":
            return checked
        return replace(signature, state="platform-signed", reason=f"{signature.platform} key")
    return _verify(signature, keyring)


def _verify(signature: Signature, keyring: Keyring) -> Signature:
    if signature.armored is None or signature.payload is None:
        return replace(signature, state="signed-unknown-key", reason="signature not kept to verify")
    if signature.kind == "gpg":
        return _verify_gpg(signature, keyring)
    if signature.kind == "ssh":
        return _verify_ssh(signature, keyring)
    return replace(
        signature, state="signed-unknown-key", reason=f"{signature.kind} signatures are not checked"
    )


def verify_history(history: Sequence[Commit], keyring: Keyring) -> tuple[Commit, ...]:
    """The history with every signature judged (up to :data:`MAX_VERIFIED_COMMITS`)."""
    out: list[Commit] = []
    checked = 0
    for commit in history:
        signature = commit.signature
        if signature is None:
            out.append(commit)
            continue
        if checked >= MAX_VERIFIED_COMMITS:
            judged = replace(
                signature, reason=f"not checked: over {MAX_VERIFIED_COMMITS} signed commits"
            )
        else:
            judged = judge(signature, keyring)
            checked += 1
        out.append(replace(commit, signature=judged))
    return tuple(out)


def verify_commits(history: Sequence[Commit], keyrings: Sequence[Path]) -> tuple[Commit, ...]:
    """``verify_history`` with the keyring files opened (and removed) around it."""
    with open_keyring(keyrings) as keyring:
        return verify_history(history, keyring)
