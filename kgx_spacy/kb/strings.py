"""A table of strings as two flat arrays, so a million IRIs cost two memory maps, not a dict."""

import bisect
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from .arrays import load_array, save_array


class StringTable:
    """Strings ``0..n-1`` stored as one UTF-8 blob and their offsets.

    blob: the strings' UTF-8 bytes, concatenated. shape: (total_bytes,), uint8
    offsets: where string ``i`` starts (``offsets[i]``) and ends (``offsets[i + 1]``).
        shape: (n + 1,), int64
    """

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def from_strings(cls, strings: Sequence[str]) -> "StringTable":
        blob = "".join(strings).encode("utf-8")
        if len(blob) == sum(map(len, strings)):  # all ASCII: one byte per character
            lengths = map(len, strings)
        else:
            lengths = (len(s.encode("utf-8")) for s in strings)
        offsets = np.zeros(len(strings) + 1, dtype=np.int64)
        offsets[1:] = np.fromiter(lengths, dtype=np.int64, count=len(strings)).cumsum()
        return cls(np.frombuffer(blob, dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8")

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def find(self, text: str) -> Optional[int]:
        """The index of ``text`` in a table sorted by code point, or None (binary search)."""
        i = bisect.bisect_left(self, text)
        return i if i < len(self) and self[i] == text else None

    def to_disk(self, path: Union[str, Path], name: str) -> None:
        save_array(Path(path) / f"{name}.blob.npy", self.blob)
        save_array(Path(path) / f"{name}.offsets.npy", self.offsets)

    @classmethod
    def from_disk(cls, path: Union[str, Path], name: str, mmap: bool = True) -> "StringTable":
        return cls(
            load_array(Path(path) / f"{name}.blob.npy", mmap),
            load_array(Path(path) / f"{name}.offsets.npy", mmap),
        )
