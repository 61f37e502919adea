"""``kgx calibrate``: fit a trained relation classifier's calibration and thresholds on dev."""

from pathlib import Path

import spacy
import typer
from spacy.tokens import DocBin
from spacy.training import Example

from ..errors import KgxInputError
from ..relations.calibrate import Calibration, calibrate


def calibrate_model(model: Path, dev: Path, output: Path, component: str) -> Calibration:
    """Load ``model``, calibrate ``component`` on the gold Docs in ``dev``, save to ``output``."""
    if not Path(dev).is_file():
        raise KgxInputError(dev, "no such DocBin")
    nlp = spacy.load(model)
    if component not in nlp.pipe_names:
        raise KgxInputError(model, f"the pipeline has no component {component!r} ({nlp.pipe_names})")
    docs = DocBin().from_disk(dev).get_docs(nlp.vocab)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docs]
    result = calibrate(nlp, examples, component)
    nlp.to_disk(output)
    return result


def calibrate_cli(
    model: Path = typer.Argument(..., help="trained pipeline directory"),
    dev: Path = typer.Argument(..., help="dev DocBin with gold relations"),
    output: Path = typer.Option(..., "--output", "-o", help="where to save the calibrated pipeline"),
    component: str = typer.Option("kgx_relation_classifier", help="the relation component's name"),
) -> None:
    """Platt-scale each relation label's scores and pick its F1-best threshold on dev data."""
    result = calibrate_model(model, dev, output, component)
    typer.echo(f"expected calibration error on dev: {result.ece_before:.4f} → {result.ece_after:.4f} ({result.n_scores} scores)")
    for label, threshold in sorted(result.thresholds.items()):
        a, b = result.calibration[label]
        typer.echo(f"  {label}: threshold {threshold:.3f}, scale {a:.3f}, shift {b:.3f}")
    typer.echo(f"saved to {output}")
