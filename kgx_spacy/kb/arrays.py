"""Saving and loading the KB's numpy arrays: atomic ``.npy`` files, memory-mapped on load."""

from pathlib import Path
from typing import Union

import numpy as np

from ..errors import KgxInputError
from ..io import atomic_write


def save_array(path: Union[str, Path], array: np.ndarray) -> None:
    with atomic_write(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: Union[str, Path], mmap: bool = True) -> np.ndarray:
    """The array in ``path``, read-only memory-mapped (``mmap``) or read into memory."""
    try:
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise KgxInputError(path, "missing KB file: is this a folder written by `kgx kb build`?") from None
    except ValueError as err:
        raise KgxInputError(path, f"not a readable .npy array: {err}") from None
    return array.view(np.ndarray)  # same pages; plain ndarray slicing is much faster than memmap's


def csr_indptr(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Row pointers for entries sorted by ``rows``: row ``i`` is ``indptr[i]:indptr[i + 1]``.

    rows: the row of each entry, ascending. shape: (nnz,)
    RETURNS: shape: (n_rows + 1,), int64
    """
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr


def csr_rows(indptr: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The entry positions of rows ``ids``, row after row (``indptr[i]:indptr[i + 1]`` each).

    RETURNS: shape: (sum of the rows' lengths,), int64
    """
    starts, lengths = indptr[ids], indptr[ids + 1] - indptr[ids]
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
