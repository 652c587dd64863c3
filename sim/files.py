"""Files in and out, safely: the one reader of input files, the one place output names
become paths, and the one writer of CSV cells.

- :func:`open_input` and :func:`read_input` read a regular file only (a FIFO, device or socket is refused
  instead of hanging or reading forever) and at most a stated number of bytes.
- :func:`confined` turns a name from a file (a scenario's, an experiment's) into one
  folder name inside its output folder, whatever the name says (``../x``, ``/abs``).
- :func:`csv_cell` neutralises text a spreadsheet would run as a formula.
- :func:`writable_folder` checks an output folder can be written before any work starts;
  :func:`writing` names the folder when a disk fills up or is read-only mid-write.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .errors import SocsimError

__all__ = ["UnreadableFile", "OutputFolderError", "open_input", "read_input", "confined", "csv_cell", "writable_folder", "writing", "write_failure", "write_failure_key",
           "MAX_DOCUMENT_BYTES", "MAX_TABLE_BYTES", "MAX_EDGE_LIST_BYTES", "number_cell", "strict_json"]

#: Largest YAML file (scenario, experiment, team, lesson, analysis) socsim reads: the
#: bundled ones are under 20 kB; 8 MiB leaves room for long sweeps written point by point.
MAX_DOCUMENT_BYTES = 8 * 2**20
#: Largest observed-data CSV: ten years of daily rows with a hundred columns is ~5 MB.
MAX_TABLE_BYTES = 256 * 2**20
#: Largest edge list: 5 million consumers × 150 contacts / 2 ties at ~20 bytes a line.
MAX_EDGE_LIST_BYTES = 8 * 2**30

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class UnreadableFile(SocsimError):
    """An input file that cannot be read; the message says why (without the file name)."""


class OutputFolderError(SocsimError):
    """An output folder that cannot be created or written."""


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def open_input(path: str | os.PathLike[str], limit: int) -> BinaryIO:
    """A regular file of at most ``limit`` bytes, open for reading in binary.

    The file is opened without blocking (a FIFO with no writer does not hang), then
    checked to be a regular file no larger than ``limit``.

    Raises
    ------
    FileNotFoundError
        The file does not exist (callers suggest similar names).
    UnreadableFile
        A folder, FIFO, device or socket; larger than ``limit``; no permission.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise UnreadableFile("is a folder, not a file") from None
    except (OSError, ValueError) as exc:  # permission denied, name too long, NUL byte
        raise UnreadableFile(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    info = os.fstat(fd)
    kind = next((name for test, name in _KINDS if test(info.st_mode)), None)
    if kind is not None or info.st_size > limit:
        os.close(fd)
        raise UnreadableFile(f"is {kind}, not a regular file; socsim reads only regular files" if kind else _too_big(limit))
    return os.fdopen(fd, "rb")


def _too_big(limit: int) -> str:
    return f"is larger than {_size(limit)}, the most socsim reads from a file of this kind"


def read_input(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`open_input`).

    At most ``limit + 1`` bytes are ever read, so a file that grows, or a /proc file
    that claims size 0, cannot exhaust memory.
    """
    with open_input(path, limit) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UnreadableFile(_too_big(limit))
    return data


def confined(folder: str | os.PathLike[str], name: str) -> Path:
    """``folder / name`` with ``name`` made one plain folder name inside ``folder``.

    Separators and NUL become ``_`` and leading dots are dropped, so ``../../x`` or
    ``/etc`` cannot leave the output folder; a name too long for a file system is cut.
    """
    part = re.sub(r"[/\\\x00]", "_", name).lstrip(".")[:200] or "_"
    return Path(folder) / part


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: ``=HYPERLINK(…)`` becomes ``'=HYPERLINK(…)``.

    Text starting with ``= + - @`` (or a tab or carriage return) is prefixed with ``'``
    unless it is a number such as ``-12.5``; numbers and other values pass unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def number_cell(value: float) -> str:
    """A number for a CSV file at full precision (the shortest text that reads back to the same float); NaN → empty.

    >>> number_cell(1980400.0), number_cell(0.1 + 0.2), number_cell(float("nan"))
    ('1980400.0', '0.30000000000000004', '')
    """
    value = float(value)
    return "" if value != value else repr(value)


def strict_json(data: Any, **kw: Any) -> str:
    """``data`` as JSON every reader accepts: NaN and ±inf become ``null`` (never bare ``NaN``), numpy scalars plain numbers."""
    return json.dumps(_finite(data), allow_nan=False, **kw)


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


#: Why writing can fail, in words a user can act on (errno → reason).
#: Why a write failed, by errno: (the reason's key in the commands' catalogue of words, the reason in words).
_WRITE_FAILURES = {errno.ENOSPC: ("full", "the disk is full"), errno.EDQUOT: ("quota", "the disk quota is used up"),
                   errno.EROFS: ("read_only", "the disk is read-only"),
                   errno.EACCES: ("forbidden", "no permission to write there"),
                   errno.EPERM: ("forbidden", "no permission to write there"),
                   errno.ENOTDIR: ("not_a_folder", "a file of that name is in the way of a folder")}


def write_failure(exc: OSError) -> str | None:
    """Why ``exc`` stopped a write, in words (disk full, read-only, no permission), or None."""
    return _WRITE_FAILURES.get(exc.errno, (None, None))[1]


def write_failure_key(exc: OSError) -> str | None:
    """The key of :func:`write_failure`'s reason (``full``, ``read_only`` …), or None."""
    return _WRITE_FAILURES.get(exc.errno, (None, None))[0]


@contextmanager
def writing(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a full, read-only or forbidden disk met while writing into ``folder`` into one clear error.

    Raises
    ------
    OutputFolderError
        Naming ``folder`` and the reason; other errors pass through.
    """
    try:
        yield
    except OSError as exc:
        reason = write_failure(exc)
        if reason is None:
            raise
        raise OutputFolderError(f"{folder}: cannot write the results: {reason}; free space or choose another folder "
                                "with --out (or outputs.dir)", key="write_failed", folder=folder,
                                reason=write_failure_key(exc)) from None


def writable_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and its parents) if needed and check a file can be written in it.

    Called before a simulation starts, so a read-only or full disk is reported at once,
    not after a year of simulated days.

    Raises
    ------
    OutputFolderError
        Naming the folder and the reason (read-only, permission denied, disk full).
    """
    folder = Path(folder)
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"socsim")
            probe.flush()
            os.fsync(probe.fileno())
    return folder
