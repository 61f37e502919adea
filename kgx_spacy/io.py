"""File helpers: atomic writes and UTF-8 reading with line-numbered errors."""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator, Union

from .errors import KgxInputError


@contextlib.contextmanager
def atomic_write(path: Union[str, Path], mode: str = "wb") -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same directory, renamed on success.

    If the body raises, the temporary file is removed and an existing ``path`` is left
    exactly as it was: readers never see a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a plain open() would follow umask
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_text(path: Union[str, Path]) -> str:
    """Read a UTF-8 file (a BOM is dropped); a bad byte raises with its line number."""
    path = Path(path)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise KgxInputError(
            path, f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})", line=line
        ) from None
