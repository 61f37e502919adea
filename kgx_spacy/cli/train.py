"""``kgx fit-config``: a config fitted to the training data, the graph and a step budget;
``kgx resume``: continue a killed ``spacy train`` run from its last checkpoint."""

import json
from pathlib import Path
from typing import Optional

import typer
from spacy.cli._util import parse_config_overrides  # what spacy train itself uses

from ..kge import KGEModel
from ..training import RESUMED_CONFIG, fit_config, resume

# spaCy's own convention: config overrides come after the arguments, as --section.key value.
CONTEXT_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True}


def resume_cli(
    ctx: typer.Context,
    config_path: Path = typer.Argument(..., help="the config the run was started with", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="the run's --output folder (with model-last)", file_okay=False),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, or -1 for CPU"),
) -> None:
    """Continue ``spacy train CONFIG --output OUTPUT [--section.key value …]`` after a kill.

    Give the same config and overrides as the first run. Every component is sourced from
    OUTPUT/model-last, the step budget and the schedules go on from the last evaluation in
    the run's kgx.TrainingLog.v1 log, which the resumed run appends to; OUTPUT/model-best
    stays the best model of the whole run.
    """
    last = resume(config_path, output, parse_config_overrides(ctx.args), gpu_id)
    typer.echo(f"resumed from step {last['step']} ({output / RESUMED_CONFIG}); models in {output}")


def fit_config_cli(
    config_path: Path = typer.Argument(..., help="a training config, e.g. configs/default_en.cfg", exists=True, dir_okay=False),
    train_path: Path = typer.Argument(..., help="the training DocBin (.spacy)", exists=True, dir_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="where the fitted config goes", dir_okay=False),
    kge: Optional[Path] = typer.Option(
        None, "--kge", help="the linker's KGE model (kgx kge train)", exists=True, file_okay=False
    ),
    max_steps: Optional[int] = typer.Option(
        None, "--max-steps", min=1, help="the step budget; the schedule and evaluations fitted to it"
    ),
    report: Optional[Path] = typer.Option(
        None, "--report", help="kgx distant-label's report.json: labels written as the graph's predicate IRIs",
        exists=True, dir_okay=False,
    ),
) -> None:
    """Write CONFIG without the components TRAIN has no labels for (a graph without literal
    facts trains no attribute tagger, one without entity-entity facts no relation classifier),
    with a linker that links without KGE when the --kge model embeds no entity, and with
    --max-steps, the learn-rate schedule stretched to it and its last step evaluated."""
    import spacy
    from spacy.tokens import DocBin

    config = spacy.util.load_config(config_path, interpolate=False)
    docs = DocBin().from_disk(train_path).get_docs(spacy.blank(config["nlp"]["lang"]).vocab)
    kge_entities = len(KGEModel.from_disk(kge).factory.entities) if kge is not None else None
    properties = json.loads(report.read_text(encoding="utf-8"))["properties"] if report is not None else None
    fitted, notes = fit_config(config, docs, kge_entities, max_steps, properties)
    output.parent.mkdir(parents=True, exist_ok=True)
    fitted.to_disk(output)
    for name, note in notes.items():
        typer.echo(f"{name}: {note}")
    training = fitted["training"]
    typer.echo(
        f"{output}: pipeline {fitted['nlp']['pipeline']}, max_steps {training['max_steps']}, "
        f"eval_frequency {training['eval_frequency']}"
    )
