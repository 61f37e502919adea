"""Training helpers for ``spacy train``: a config fitted to what the training data holds,
a dev-curve log that survives a killed run, and resuming that run from its last checkpoint."""

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from spacy import util
from spacy.cli.train import train
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training.loggers import console_logger_v3
from thinc.api import Config, registry

from .errors import KgxInputError
from .extensions import ATTRIBUTES, RELATIONS, install_extensions

# What a resumed run adds to its records: the log's last record before the resume.
OFFSET_KEYS = ("step", "epoch", "seconds", "words")


def training_log(
    path: Union[str, Path], progress_bar: Union[str, bool, None] = None, console_output: bool = True,
    resume: bool = False,
) -> Callable:
    """``kgx.TrainingLog.v1``: spaCy's console table, plus one JSON line per evaluation.

    Each line: ``step``, ``epoch``, ``seconds`` (since training started), ``words`` (seen),
    ``losses`` (per component, since the last evaluation), ``scores`` (every dev score, as
    fractions) and ``score`` (the weighted score). Lines are flushed as they are written,
    so the dev curve of a run that is killed is kept up to its last evaluation. An existing
    file is replaced. progress_bar: as in ``spacy.ConsoleLogger.v3`` (``"train"``, ``"eval"``);
    a config written for ``spacy.ConsoleLogger.v1`` may give true (``"eval"``) or false.
    resume: the run continues the one that wrote the file (``resume_config``): records are
    appended, counted on from its last record, and the first evaluation (of the model the
    run starts from, already logged) is left out.
    """
    path = util.ensure_path(path)
    if isinstance(progress_bar, bool):
        progress_bar = "eval" if progress_bar else None
    console = console_logger_v3(progress_bar=progress_bar, console_output=console_output)

    def setup(nlp, stdout: IO = sys.stdout, stderr: IO = sys.stderr) -> Tuple[Callable, Callable]:
        log_console, finish_console = console(nlp, stdout, stderr)
        path.parent.mkdir(parents=True, exist_ok=True)
        offset = dict.fromkeys(OFFSET_KEYS, 0)
        if resume:  # rewritten first: a kill may have cut the last line short
            records = read_training_log(path)
            path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            offset = {key: records[-1][key] for key in OFFSET_KEYS}
        stream = open(path, "a" if resume else "w", encoding="utf-8")

        def log_step(info: Optional[Dict[str, Any]]) -> None:
            if info is None:
                log_console(info)
                return
            if resume and info["step"] == 0:
                return
            info = {**info, **{key: info[key] + offset[key] for key in OFFSET_KEYS}}
            log_console(info)
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


# ---- resuming a killed run -------------------------------------------------------------

RESUMED_CONFIG = "resume.cfg"  # written into the output folder by ``resume``
PREVIOUS_BEST = "model-best.before-resume"  # the best model so far, while a resumed run runs
BEST_MARK = "kgx-resume.json"  # in PREVIOUS_BEST: its score and the step the resume began at


@registry.schedules("kgx.resumed.v1")
def resumed_schedule(schedule: Iterable[float], offset: int) -> Iterator[float]:
    """``schedule`` from its ``offset``-th value on: the rest of a schedule whose first
    ``offset`` steps an earlier, interrupted run has spent."""
    values = iter(schedule)
    for _ in range(offset):
        next(values)
    yield from values


def read_training_log(path: Union[str, Path]) -> List[Dict[str, Any]]:
    """The records of a ``kgx.TrainingLog.v1`` file; a line cut off by a kill is dropped."""
    records, lines = [], Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number < len(lines):
                raise KgxInputError(path, "not a JSON record", line=number) from None
    return records


def resume_config(config: Config, output: Union[str, Path]) -> Tuple[Config, Dict[str, Any]]:
    """The config that continues a run of ``config`` (``spacy train --output OUTPUT``) that
    was stopped after its last evaluation; and that evaluation's log record.

    Every pipeline component is sourced from OUTPUT/model-last (saved at each evaluation),
    the step (and epoch) budget is what is left, and every schedule of the optimizer and the
    batcher goes on where it stopped (``kgx.resumed.v1``). Adam's moments are not saved by
    spaCy, so they start again from zero. The run must log through ``kgx.TrainingLog.v1``:
    its log says how far the run got, and the resumed run appends to it.
    """
    output = Path(output)
    training = config.interpolate()["training"]
    logger = training["logger"]
    if logger.get("@loggers") != "kgx.TrainingLog.v1":
        raise KgxInputError(output, "resuming needs the run's step count: train with [training.logger] "
                            "@loggers = \"kgx.TrainingLog.v1\"")
    log = Path(logger["path"])
    if not log.is_file():
        raise KgxInputError(log, "no training log: the run did not reach its first evaluation")
    records = read_training_log(log)
    if not records:
        raise KgxInputError(log, "the training log is empty: the run did not reach its first evaluation")
    if not (output / "model-last").is_dir():
        raise KgxInputError(output / "model-last", "no saved model to resume from")
    last = records[-1]
    max_steps, max_epochs = training["max_steps"], training["max_epochs"]
    if (max_steps and last["step"] >= max_steps) or (max_epochs > 0 and last["epoch"] >= max_epochs):
        raise KgxInputError(log, f"the run already finished (step {last['step']}, epoch {last['epoch']})")
    resumed = copy.deepcopy(config)
    for name in config["nlp"]["pipeline"]:
        resumed["components"][name] = {"source": str(output / "model-last")}
    target = resumed["training"]
    if max_steps:
        target["max_steps"] = max_steps - last["step"]
    if max_epochs > 0:
        target["max_epochs"] = max_epochs - last["epoch"]
    for key, value in list(target["optimizer"].items()):
        if isinstance(value, dict) and "@schedules" in value:
            target["optimizer"][key] = _resumed(value, last["step"])
    size = target["batcher"].get("size")
    if isinstance(size, dict) and "@schedules" in size:  # one value per batch
        target["batcher"]["size"] = _resumed(size, last["step"] * training["accumulate_gradient"])
    target["logger"]["resume"] = True
    return resumed, last


def _resumed(schedule: Dict[str, Any], offset: int) -> Dict[str, Any]:
    return {"@schedules": "kgx.resumed.v1", "offset": offset, "schedule": schedule}


def resume(
    config_path: Union[str, Path], output: Union[str, Path], overrides: Optional[Dict[str, Any]] = None,
    use_gpu: int = -1,
) -> Dict[str, Any]:
    """Continue the killed ``spacy train CONFIG --output OUTPUT [overrides]`` to its budget.

    Writes OUTPUT/resume.cfg (the resumed run's whole config) and trains it into OUTPUT.
    OUTPUT/model-best stays the best model of the whole run: the resumed run's best only
    replaces it when it scores higher. RETURNS: the log record the run resumed from.
    """
    output = Path(output)
    config = util.load_config(config_path, overrides=overrides or {}, interpolate=False)
    resumed, last = resume_config(config, output)
    log = Path(config.interpolate()["training"]["logger"]["path"])
    settle_best(output, read_training_log(log))  # an earlier resume that was itself killed
    best = output / "model-best"
    if best.is_dir():
        previous = output / PREVIOUS_BEST
        best.rename(previous)
        score = max(r["score"] for r in read_training_log(log))
        (previous / BEST_MARK).write_text(json.dumps({"score": score, "step": last["step"]}) + "\n")
    resumed.to_disk(output / RESUMED_CONFIG)
    train(output / RESUMED_CONFIG, output, use_gpu=use_gpu)
    settle_best(output, read_training_log(log))
    return last


def settle_best(output: Union[str, Path], records: List[Dict[str, Any]]) -> None:
    """After a resumed run, finished or killed: keep as OUTPUT/model-best the better of the
    best model before the resume (PREVIOUS_BEST) and the best the resumed run saved, by the
    weighted dev scores in the log (the resumed run's own first evaluation is not logged:
    it scores the model it started from)."""
    output = Path(output)
    previous, best = output / PREVIOUS_BEST, output / "model-best"
    if not previous.is_dir():
        return
    mark = json.loads((previous / BEST_MARK).read_text())
    since = [r["score"] for r in records if r["step"] > mark["step"]]
    if best.is_dir() and since and max(since) > mark["score"]:
        shutil.rmtree(previous)
        return
    if best.is_dir():
        shutil.rmtree(best)
    (previous / BEST_MARK).unlink()
    previous.rename(best)


# component factory → the Doc extension its training labels come from
LABELLED_BY = {"kgx_relation_classifier": RELATIONS, "kgx_attribute_tagger": ATTRIBUTES}
# Attach every entity to a relation only for texts that state a fact about (nearly) every
# entity they name: WebNLG's distant labels 99.2%, KnowledgeNet passages' 77.7%.
ATTACH_SHARE = 0.95


def fit_config(
    config: Config,
    docs: Iterable[Doc],
    kge_entities: Optional[int] = None,
    max_steps: Optional[int] = None,
    properties: Optional[Dict[str, str]] = None,
) -> Tuple[Config, Dict[str, str]]:
    """``config`` fitted to the training data, the graph and a step budget.

    The components the training Docs hold no labels for are left out (no relations: no
    ``kgx_relation_classifier``; no attributes: no ``kgx_attribute_tagger``), with their
    score weights and initialize/frozen/annotating entries.
    kge_entities: how many entities the KGE model embeds; 0 (a graph without entity-entity
        facts): the entity linker links without KGE (``use_kge = false``).
    max_steps: the step budget; the learn-rate schedule is stretched to it (``total_steps``,
        ``warmup_steps`` in proportion), and ``eval_frequency`` is kept only if it divides
        it (else it becomes max_steps), so the last step is evaluated and model-best is
        never the untrained model of step 0.
    The relation classifier's ``attach_threshold`` (every entity takes its most probable
    relation) is turned off unless ATTACH_SHARE of the Docs' entities join a fact: texts
    that name entities in passing must not attach them.
    properties: relation/attribute name → the graph's predicate IRI (``kgx distant-label``'s
        report): ``kgx_rdf`` writes each label as that IRI, not as its vocabulary + name.
    RETURNS: the fitted config (a copy) and, per component changed, what changed and why.
    """
    install_extensions()
    docs = list(docs)
    fitted = Config(copy.deepcopy(dict(config)))
    notes = {name: f"left out: {why}" for name, why in _unlabelled(fitted, docs).items()}
    if notes:
        _leave_out(fitted, list(notes))
    if kge_entities == 0:
        for name, component in fitted["components"].items():
            if component.get("factory") == "kgx_entity_linker" and component.get("use_kge", True):
                component["use_kge"] = False
                notes[name] = "use_kge = false: the KGE model embeds no entity (the graph has no entity-entity facts)"
    share = joined_share(docs)
    for name, component in fitted["components"].items():
        if component.get("factory") == "kgx_relation_classifier" and component.get("attach_threshold") is not None:
            if share < ATTACH_SHARE:
                component["attach_threshold"] = None
                notes[name] = f"attach_threshold = null: {share:.0%} of the entities join a fact (attach needs {ATTACH_SHARE:.0%})"
    if properties:
        _map_predicates(fitted, docs, properties, notes)
    if max_steps is not None:
        _fit_budget(fitted["training"], max_steps)
    return fitted, notes


def _map_predicates(config: Config, docs: List[Doc], properties: Dict[str, str], notes: Dict[str, str]) -> None:
    """kgx_rdf's ``properties`` (relation labels) and ``attributes`` (attribute labels)
    from ``properties``, for the labels the Docs hold."""
    labels = {
        "properties": {r["label"] for doc in docs for r in doc._.get(RELATIONS)},
        "attributes": {r["attribute"] for doc in docs for r in doc._.get(ATTRIBUTES)},
    }
    for name, component in config["components"].items():
        if component.get("factory") == "kgx_rdf":
            for key, names in labels.items():
                component[key] = {**component.get(key, {}), **{n: properties[n] for n in sorted(names) if n in properties}}
            notes[name] = f"{len(component['properties'])} relation and {len(component['attributes'])} attribute labels named by the graph's IRIs"


def _unlabelled(config: Config, docs: Iterable[Doc]) -> Dict[str, str]:
    """Per pipeline component trained on labels the Docs hold none of: why it goes."""
    found = {ext: False for ext in LABELLED_BY.values()}
    for doc in docs:
        for ext in found:
            found[ext] = found[ext] or bool(doc._.get(ext))
        if all(found.values()):
            break
    factories = {name: config["components"].get(name, {}).get("factory") for name in config["nlp"]["pipeline"]}
    return {
        name: f"no doc._.{LABELLED_BY[factory]} in the training data"
        for name, factory in factories.items()
        if factory in LABELLED_BY and not found[LABELLED_BY[factory]]
    }


def _leave_out(config: Config, names: List[str]) -> None:
    weights = set()
    for name in names:
        weights.update(Language.get_factory_meta(config["components"][name]["factory"]).default_score_weights)
        del config["components"][name]
        config.get("initialize", {}).get("components", {}).pop(name, None)
    config["nlp"]["pipeline"] = [n for n in config["nlp"]["pipeline"] if n not in names]
    training = config["training"]
    for key in ("frozen_components", "annotating_components"):
        training[key] = [n for n in training.get(key, []) if n not in names]
    training["score_weights"] = {k: v for k, v in training.get("score_weights", {}).items() if k not in weights}


def _fit_budget(training: Dict[str, Any], max_steps: int) -> None:
    """max_steps, the learn-rate schedule stretched to it, and an eval_frequency that
    divides it: the largest divisor up to the config's, unless under a quarter of it (then
    max_steps: one evaluation, at the end)."""
    training["max_steps"] = max_steps
    frequency = training["eval_frequency"]
    divisor = max(d for d in range(1, min(frequency, max_steps) + 1) if max_steps % d == 0)
    training["eval_frequency"] = divisor if 4 * divisor >= min(frequency, max_steps) else max_steps
    schedule = training["optimizer"].get("learn_rate")
    if isinstance(schedule, dict) and "total_steps" in schedule:
        if "warmup_steps" in schedule:
            schedule["warmup_steps"] = round(schedule["warmup_steps"] * max_steps / schedule["total_steps"])
        schedule["total_steps"] = max_steps


def joined_share(docs: Iterable[Doc]) -> float:
    """The share of the Docs' entities that join a relation or an attribute (1.0: none)."""
    n = joined = 0
    for doc in docs:
        spans = {tuple(r[k]) for r in doc._.get(RELATIONS) for k in ("head", "tail")}
        spans |= {tuple(r["entity"]) for r in doc._.get(ATTRIBUTES)}
        n += len(doc.ents)
        joined += sum((e.start, e.end) in spans for e in doc.ents)
    return joined / n if n else 1.0
