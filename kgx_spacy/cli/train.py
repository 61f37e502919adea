"""``kgx fit-config``: a config fitted to the training data; ``kgx resume``: continue a
killed ``spacy train`` run from its last checkpoint."""

from pathlib import Path

import typer
from spacy.cli._util import parse_config_overrides  # what spacy train itself uses

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
) -> None:
    """Write CONFIG without the components TRAIN has no labels for (a graph without literal
    facts trains no attribute tagger, one without entity-entity facts no relation classifier)."""
    import spacy
    from spacy.tokens import DocBin

    config = spacy.util.load_config(config_path, interpolate=False)
    docs = DocBin().from_disk(train_path).get_docs(spacy.blank(config["nlp"]["lang"]).vocab)
    fitted, dropped = fit_config(config, docs)
    output.parent.mkdir(parents=True, exist_ok=True)
    fitted.to_disk(output)
    for name, why in dropped.items():
        typer.echo(f"left out {name}: {why}")
    typer.echo(f"{output}: pipeline {fitted['nlp']['pipeline']}")
