"""Downloads that cannot corrupt the cache: SHA-256 check, temp file + rename,
an inter-process lock, and archive extraction that cannot escape its folder."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from convnets.errors import DataError

TIMEOUT_S = 30


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if needed) for the block's duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def download(urls: list[str], dest: Path, sha256: str) -> Path:
    """Fetch the first working URL into ``dest``, verified against ``sha256``.

    The bytes go to a temporary file in the same folder, which is renamed into
    place only after the checksum matches; a mismatch deletes it. A lock file
    keeps two processes from downloading the same file at once.
    """
    if os.environ.get("CONVNETS_NO_DOWNLOAD"):
        raise DataError(f"downloads are disabled (CONVNETS_NO_DOWNLOAD is set); cannot fetch {dest.name}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    with file_lock(dest.with_name(dest.name + ".lock")):
        if dest.exists() and sha256_of(dest) == sha256:
            return dest  # another process finished it while we waited
        for url in urls:
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
                    shutil.copyfileobj(resp, out, 1 << 20)
                got = sha256_of(tmp)
                if got != sha256:
                    errors.append(f"{url}: SHA-256 {got} does not match the expected {sha256}; deleted")
                    continue
                os.replace(tmp, dest)
                return dest
            except (urllib.error.URLError, OSError, ValueError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    raise DataError(f"could not download {dest.name}: " + "; ".join(errors))


def safe_extract(archive: Path, target: Path) -> None:
    """Extract a tar archive, refusing members that would land outside ``target``.

    Absolute paths, ``..`` components, links, devices and FIFOs are refused
    outright (CIFAR archives hold only regular files and folders).
    """
    target = target.resolve()
    try:
        tar = tarfile.open(archive)
    except (tarfile.TarError, OSError) as e:
        raise DataError(f"{archive}: not a readable tar archive ({e})") from None
    with tar:
        members = tar.getmembers()
        for m in members:
            dest = (target / m.name).resolve()
            if os.path.isabs(m.name) or ".." in Path(m.name).parts or not dest.is_relative_to(target):
                raise DataError(f"{archive}: member {m.name!r} would be extracted outside {target}")
            if not (m.isfile() or m.isdir()):
                raise DataError(f"{archive}: member {m.name!r} is a link or special file; refused")
        target.mkdir(parents=True, exist_ok=True)
        for m in members:
            tar.extract(m, target, set_attrs=False)
