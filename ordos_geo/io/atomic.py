"""Atomic writes: one file, a command's whole output folder, or a set of files in a shared folder.

* :func:`atomic_path` — a file is written beside its target (``.<stem>.ordos-tmp-<pid>-<id>``),
  fsynced and renamed onto it: readers see the old file or the new one, never a part.
* :func:`output_set` — a command's output folder is published as one set. Everything is written
  into a staging folder beside it (``.<name>.ordos-stage-<pid>-<id>``), fsynced, then swapped
  with the target in one ``renameat2(RENAME_EXCHANGE)`` (Linux); elsewhere by two renames with
  the earlier folder kept until the new one is in place and restored by the next run if a kill
  fell between them. A manifest ``.ordos_geo_outputs.json`` names the files of the set; entries of
  the folder that no ordos_geo run wrote (the user's own files) are carried over, files of an
  earlier set that this run does not write are not (no stale mix).
* :func:`publish_files` — several files into a folder shared with other files (an export beside
  the user's data): staged, fsynced, a journal written, then renamed into place; a Shapefile's
  ``.shp`` is taken away first and put back last, so GIS software never opens a ``.shp`` with
  another run's ``.dbf``. A run killed after its journal is finished by the next run (roll
  forward); one killed before leaves the earlier files as they were.

Leftovers of killed runs (staging folders, temporary files, journals) are cleaned up by the next
write to the same place, once their process is gone.

For tests, the environment variable ``ORDOS_GEO_TEST_KILL_AFTER=k`` makes the process kill
itself (SIGKILL) at its k-th write step — see ``tests/test_crash.py``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import json
import os
import re
import shutil
import signal
import uuid
from pathlib import Path
from typing import Iterator

from ..core.errors import UsageError
from ..core.messages import msg

__all__ = ["atomic_path", "output_set", "file_set", "OutputSet", "publish_files", "checkpoint",
           "check_output_file", "MANIFEST"]

MANIFEST = ".ordos_geo_outputs.json"
KILL_ENV = "ORDOS_GEO_TEST_KILL_AFTER"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.ordos-(?P<kind>tmp|stage|old|journal)-(?P<pid>\d+)-")
_steps = {"n": 0}


def checkpoint(what: str = "") -> None:
    """One write step done. With ``ORDOS_GEO_TEST_KILL_AFTER=k`` the k-th step kills the process."""
    limit = os.environ.get(KILL_ENV)
    if not limit:
        return
    _steps["n"] += 1
    if _steps["n"] >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def token() -> str:
    """A name part no other run uses: the process id and 8 random hex digits."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() and hasattr(os, "O_DIRECTORY") else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean_leftovers(folder: Path) -> None:
    """Finish or remove what killed runs left in ``folder`` (only of processes that are gone)."""
    if not folder.is_dir():
        return
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    for entry in entries:  # journals first: they finish a run whose files are all staged
        m = _LEFTOVER.match(entry.name)
        if m and m["kind"] == "journal" and not _alive(int(m["pid"])):
            _roll_forward(entry)
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if not m or not entry.exists() or _alive(int(m["pid"])):
            continue
        target = folder / m["name"]
        if m["kind"] == "old" and not target.exists():
            os.rename(entry, target)  # the swap was cut between its two renames: restore
        else:
            _remove(entry)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    A failed or killed write leaves an earlier file at ``path`` untouched; its temporary file is
    removed now or by the next write into the folder.
    """
    path = Path(path)
    check_output_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.ordos-tmp-{token()}{path.suffix}")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
        checkpoint(str(path))
    finally:
        for leftover in tmp.parent.glob(glob_escape(tmp.name) + "*"):
            _remove(leftover)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def check_output_file(path: Path) -> None:
    """Refuse an output file that is a folder, or whose folder is a file (usage errors)."""
    if path.is_dir():
        raise UsageError(msg("out_is_dir", path=path))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(msg("out_parent_not_dir", path=path, parent=parent))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(msg("out_not_writable", path=parent))
            break


def _check_output_dir(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(msg("out_is_file", path=target))
    here = Path.cwd().resolve()
    real = target.resolve()
    if here == real or real in here.parents:
        raise UsageError(msg("out_is_cwd", path=target))
    check_output_file(target / MANIFEST)


class OutputSet:
    """The staging folder of one output set; see :func:`output_set`."""

    def __init__(self, target: Path, stage: Path) -> None:
        self.target = target
        self.dir = stage
        self.paths: list[Path] = []

    def final(self, path: str | os.PathLike) -> Path:
        """Where a file written into the staging folder ends up."""
        return self.target / Path(path).relative_to(self.dir)

    def _files(self) -> list[str]:
        return sorted(str(p.relative_to(self.dir)) for p in self.dir.rglob("*")
                      if p.is_file() and p.name != MANIFEST)

    def _carry_over(self, files: list[str]) -> None:
        """The user's own entries of the target (never written by ordos_geo) go along."""
        if not self.target.is_dir():
            return
        ours = {MANIFEST}
        try:
            old = json.loads((self.target / MANIFEST).read_text(encoding="utf-8"))
            ours |= {f.split("/")[0] for f in old.get("files", [])}
        except (OSError, ValueError):
            pass
        mine = {f.split("/")[0] for f in files}
        for entry in self.target.iterdir():
            if entry.name in ours or entry.name in mine or _LEFTOVER.match(entry.name):
                continue
            dest = self.dir / entry.name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, dest, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(entry, dest)

    def _commit(self) -> None:
        files = self._files()
        (self.dir / MANIFEST).write_text(json.dumps(
            {"files": files, "written_at": dt.datetime.now(dt.timezone.utc).isoformat()},
            ensure_ascii=False, indent=1), encoding="utf-8")
        self._carry_over(files)
        _fsync_tree(self.dir)
        checkpoint("staged")
        if not self.target.exists():
            os.rename(self.dir, self.target)
        else:
            _swap_folders(self.dir, self.target)
            checkpoint("swapped")
            _remove(self.dir)
        _fsync(self.target.parent)
        self.paths = [self.target / f for f in files]


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_folders(stage: Path, target: Path) -> None:
    """Put ``stage`` at ``target``; afterwards ``stage`` holds the earlier folder."""
    if _renameat2_exchange(stage, target):
        return
    old = target.with_name(f".{target.name}.ordos-old-{token()}")
    os.rename(target, old)
    checkpoint("moved aside")
    os.rename(stage, target)
    os.rename(old, stage)


@contextlib.contextmanager
def output_set(target: str | os.PathLike) -> Iterator[OutputSet]:
    """Write a command's outputs into ``OutputSet.dir``; on success they replace ``target`` as
    one set (see the module text). On failure or kill ``target`` keeps its earlier set."""
    target = Path(os.path.abspath(target))
    _check_output_dir(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target.parent)
    stage = target.with_name(f".{target.name}.ordos-stage-{token()}")
    stage.mkdir()
    out = OutputSet(target, stage)
    try:
        yield out
        out._commit()
    finally:
        if stage.exists():
            _remove(stage)


@contextlib.contextmanager
def file_set(folder: str | os.PathLike) -> Iterator[OutputSet]:
    """Write files into ``OutputSet.dir``; on success they are moved into ``folder`` (shared with
    other files) as one set by :func:`publish_files`. On failure nothing in ``folder`` changes."""
    folder = Path(os.path.abspath(folder))
    if folder.exists() and not folder.is_dir():
        raise UsageError(msg("out_parent_not_dir", path=folder, parent=folder))
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(folder)
    stage = folder / f".files.ordos-stage-{token()}"
    stage.mkdir()
    out = OutputSet(folder, stage)
    try:
        yield out
        pairs = [(p, out.final(p)) for p in sorted(stage.rglob("*")) if p.is_file()]
        for _, final in pairs:
            final.parent.mkdir(parents=True, exist_ok=True)
        out.paths = publish_files(pairs)
    finally:
        if stage.exists():
            _remove(stage)


def publish_files(pairs: list[tuple[Path, Path]]) -> list[Path]:
    """Move staged files (``(staged, final)``, all in one folder) onto their final names as a set;
    see the module text. Returns the final paths."""
    if not pairs:
        return []
    folder = pairs[0][1].parent
    journal = folder / f".{pairs[0][1].stem}.ordos-journal-{token()}.json"
    for staged, _ in pairs:
        _fsync(staged)
    journal.write_text(json.dumps([[str(a), str(b)] for a, b in pairs], ensure_ascii=False),
                       encoding="utf-8")
    _fsync(journal)
    _fsync(folder)
    checkpoint("journal")
    _roll_forward(journal)
    return [b for _, b in pairs]


def _roll_forward(journal: Path) -> None:
    pairs = [(Path(a), Path(b)) for a, b in json.loads(journal.read_text(encoding="utf-8"))]
    keys = [(a, b) for a, b in pairs if b.suffix.lower() == ".shp"]
    rest = [(a, b) for a, b in pairs if b.suffix.lower() != ".shp"]
    for _, b in keys:  # no .shp while its companions change
        if b.exists() and any(a.exists() for a, _ in keys):
            b.unlink()
            checkpoint("hide .shp")
    for a, b in rest + keys:
        if a.exists():
            os.replace(a, b)
            checkpoint(str(b))
    _fsync(journal.parent)
    journal.unlink(missing_ok=True)
