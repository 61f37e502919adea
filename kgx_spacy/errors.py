"""Errors that name where the problem is, so a user can fix the input."""

from pathlib import Path
from typing import Optional, Union


class KgxInputError(ValueError):
    """Bad input: names the file, the line (or record, or batch) and the problem.

    path: the file (or endpoint) the input came from.
    line: 1-based line number, when the input has lines.
    where: a finer location when lines do not help (``"record 17"``, ``"batch 3"``).
    """

    def __init__(
        self,
        path: Union[str, Path],
        problem: str,
        line: Optional[int] = None,
        where: Optional[str] = None,
    ):
        self.path = str(path)
        self.line = line
        self.where = where
        self.problem = problem
        location = self.path
        if line is not None:
            location += f", line {line}"
        if where:
            location += f", {where}"
        super().__init__(f"{location}: {problem}")

    def __reduce__(self):  # picklable, so it crosses processes (Ray, nlp.pipe's n_process)
        return type(self), (self.path, self.problem, self.line, self.where)


class KgxStoreError(RuntimeError):
    """A store or endpoint failed; names the target and the batch that did not land."""

    def __init__(self, target: str, problem: str, batch: Optional[int] = None):
        self.target = target
        self.batch = batch
        self.problem = problem
        where = f" (batch {batch})" if batch is not None else ""
        super().__init__(f"{target}{where}: {problem}")

    def __reduce__(self):
        return type(self), (self.target, self.problem, self.batch)
