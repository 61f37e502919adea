"""Training helpers for ``spacy train``: a dev-curve log that survives a killed run."""

import json
import sys
from pathlib import Path
from typing import IO, Any, Callable, Dict, Optional, Tuple, Union

from spacy import util
from spacy.training.loggers import console_logger_v3


def training_log(
    path: Union[str, Path], progress_bar: Union[str, bool, None] = None, console_output: bool = True
) -> Callable:
    """``kgx.TrainingLog.v1``: spaCy's console table, plus one JSON line per evaluation.

    Each line: ``step``, ``epoch``, ``seconds`` (since training started), ``words`` (seen),
    ``losses`` (per component, since the last evaluation), ``scores`` (every dev score, as
    fractions) and ``score`` (the weighted score). Lines are flushed as they are written,
    so the dev curve of a run that is killed is kept up to its last evaluation. An existing
    file is replaced. progress_bar: as in ``spacy.ConsoleLogger.v3`` (``"train"``, ``"eval"``);
    a config written for ``spacy.ConsoleLogger.v1`` may give true (``"eval"``) or false.
    """
    path = util.ensure_path(path)
    if isinstance(progress_bar, bool):
        progress_bar = "eval" if progress_bar else None
    console = console_logger_v3(progress_bar=progress_bar, console_output=console_output)

    def setup(nlp, stdout: IO = sys.stdout, stderr: IO = sys.stderr) -> Tuple[Callable, Callable]:
        log_console, finish_console = console(nlp, stdout, stderr)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(path, "w", encoding="utf-8")

        def log_step(info: Optional[Dict[str, Any]]) -> None:
            log_console(info)
            if info is None:
                return
            record = {
                "step": info["step"],
                "epoch": info["epoch"],
                "seconds": info["seconds"],
                "words": info["words"],
                "losses": {k: float(v) for k, v in info["losses"].items()},
                "scores": _numbers(info["other_scores"]),
                "score": float(info["score"]),
            }
            stream.write(json.dumps(record) + "\n")
            stream.flush()

        def finish() -> None:
            finish_console()
            stream.close()

        return log_step, finish

    return setup


def _numbers(scores: Dict[str, Any]) -> Dict[str, Any]:
    # Dev scores are floats, None or nested per-type dicts; keep what JSON can hold.
    return {k: v for k, v in scores.items() if v is None or isinstance(v, (int, float, dict))}
