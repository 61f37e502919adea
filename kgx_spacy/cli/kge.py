"""``kgx kge train`` / ``kgx kge eval``: knowledge-graph embeddings from triple files."""

import json
from enum import Enum
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import typer

from ..io import atomic_write
from ..kge import (
    INTERACTIONS,
    KGEModel,
    TrainingConfig,
    TrainingResult,
    TriplesFactory,
    default_init_scale,
    evaluate,
    read_triples,
    train,
)
from ..kge.training import CHECKPOINT_FILE, MODES, OPTIMIZERS, pick_device

TRAINING_FILE = "training.json"

Model = Enum("Model", {name: name for name in INTERACTIONS}, type=str)
Mode = Enum("Mode", {name: name for name in MODES}, type=str)
Optimizer = Enum("Optimizer", {name: name for name in OPTIMIZERS}, type=str)


def train_files(
    train_file: Path,
    output: Path,
    interaction: str,
    dim: int,
    config: TrainingConfig,
    valid_file: Optional[Path] = None,
    reciprocal: bool = True,
    echo: Callable[[str], None] = print,
    checkpoint: Optional[Path] = None,
) -> Tuple[KGEModel, TrainingResult, Optional[Dict[str, float]]]:
    """Train on a TSV or RDF file and save the model to ``output``.

    The entities and relations are those of the training and validation files. With
    ``valid_file`` the filtered metrics on it are measured every ``config.eval_every``
    epochs (0: at the end only), the best validation's weights are kept (early stopping
    with ``config.patience``), and the metrics are saved with the training record in
    ``output/training.json``. With ``checkpoint`` (a folder) the run is saved after every
    epoch, and the same command run again continues a stopped run where it stopped.
    """
    train_triples = read_triples(train_file)
    valid_triples = read_triples(valid_file) if valid_file is not None else None
    factory = TriplesFactory.from_triples(train_triples, *([valid_triples] if valid_triples else []))
    triples = factory.map(train_triples)
    valid = factory.map(valid_triples) if valid_triples else None
    init_scale = default_init_scale(interaction, dim, config.margin)
    model = KGEModel(interaction, factory, dim, reciprocal=reciprocal, init_scale=init_scale, seed=config.seed)
    echo(
        f"{len(triples)} training triples, {len(factory.entities)} entities, "
        f"{len(factory.relations)} relations; {interaction}, dim {dim}, on {pick_device(config.device)}"
    )
    if not len(triples):
        echo(
            f"{train_file} holds no entity-entity triples: nothing to embed, the model is empty; "
            "link without it (the linker's use_kge = false: kgx fit-config --kge sets it)"
        )
    if checkpoint is not None and (checkpoint / CHECKPOINT_FILE).exists():
        echo(f"continuing from the checkpoint in {checkpoint}")

    def on_epoch(epoch: int, loss: float) -> None:
        line = f"epoch {epoch}: loss {loss:.4f}"
        if result_so_far.valid_mrr and result_so_far.valid_mrr[-1][0] == epoch:
            line += f", valid mrr {result_so_far.valid_mrr[-1][1]:.4f}"
        echo(line)

    result_so_far = TrainingResult(config)
    result = train(model, triples, config, on_epoch=on_epoch, valid=valid, checkpoint=checkpoint, result=result_so_far)
    metrics = evaluate(model, valid, [triples]) if valid is not None else None
    model.to_disk(output)
    record = {**result.to_dict(), "valid": metrics, "train_file": str(train_file)}
    with atomic_write(Path(output) / TRAINING_FILE, "w") as f:
        json.dump(record, f, indent=2)
    return model, result, metrics


def evaluate_files(
    model_dir: Path,
    test_file: Path,
    filter_files: Sequence[Path] = (),
    batch_size: int = 256,
    device: Optional[str] = None,
) -> Dict[str, float]:
    """Filtered MRR, Hits@1/3/10 of a saved model on a TSV or RDF file of test triples.

    filter_files: the other known true triples (train, valid); every label of the test and
    filter files must be known to the model.
    """
    model = KGEModel.from_disk(model_dir).to(pick_device(device))
    test = model.factory.map(read_triples(test_file))
    known = [model.factory.map(read_triples(path)) for path in filter_files]
    return evaluate(model, test, known, batch_size=batch_size)


def format_metrics(metrics: Dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4f}" for name, value in metrics.items())


def train_cli(
    train_file: Path = typer.Argument(..., help="Training triples: TSV (head, relation, tail) or an RDF file."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the trained model."),
    valid: Optional[Path] = typer.Option(None, "--valid", help="Validation triples (same formats)."),
    model: Model = typer.Option("complex", "--model", help="The interaction."),
    dim: int = typer.Option(100, "--dim", min=1, help="Embedding size (complex models: complex dimensions)."),
    reciprocal: bool = typer.Option(True, help="Learn r⁻¹ for each relation and predict heads as its tails."),
    mode: Mode = typer.Option(TrainingConfig.mode, "--mode"),
    epochs: int = typer.Option(TrainingConfig.epochs, "--epochs", min=1),
    batch_size: int = typer.Option(TrainingConfig.batch_size, "--batch-size", min=1),
    optimizer: Optimizer = typer.Option(TrainingConfig.optimizer, "--optimizer"),
    lr: float = typer.Option(TrainingConfig.lr, "--lr"),
    lr_decay_epoch: Optional[int] = typer.Option(None, "--lr-decay-epoch", help="Divide the lr by 10 from this epoch."),
    n3: float = typer.Option(0.05, "--n3", help="N3 regularisation weight."),
    label_smoothing: float = typer.Option(TrainingConfig.label_smoothing, "--label-smoothing"),
    negatives: int = typer.Option(TrainingConfig.negatives, "--negatives", min=1),
    margin: float = typer.Option(TrainingConfig.margin, "--margin", help="γ of the negative-sampling loss."),
    temperature: float = typer.Option(
        TrainingConfig.adversarial_temperature, "--temperature", help="Self-adversarial α; 0: uniform."
    ),
    seed: int = typer.Option(TrainingConfig.seed, "--seed"),
    device: Optional[str] = typer.Option(None, "--device", help="cpu, cuda, cuda:1...; default: CUDA if available."),
    eval_every: int = typer.Option(2, "--eval-every", min=0, help="Validation MRR every N epochs (with --valid)."),
    patience: int = typer.Option(3, "--patience", min=0, help="Stop after N validations without a better MRR; 0: never."),
    max_seconds: float = typer.Option(
        0.0, "--max-seconds", min=0, help="Training + validation budget: stop before an epoch that would not fit; 0: none."
    ),
    checkpoint: Optional[Path] = typer.Option(
        None, "--checkpoint", help="Save the run here after every epoch; the same command run again continues it.",
        file_okay=False,
    ),
) -> None:
    """Train a KGE model. Defaults: ComplEx rank 100 with reciprocal relations, 1-N, N3 0.05, Adagrad 0.1,
    batch 1000 (Lacroix et al. 2018 at a rank sized for a CPU core); with --valid, early stopping."""
    config = TrainingConfig(
        mode=mode.value, epochs=epochs, batch_size=batch_size, optimizer=optimizer.value, lr=lr,
        lr_decay_epoch=lr_decay_epoch, n3_weight=n3, label_smoothing=label_smoothing,
        negatives=negatives, margin=margin, adversarial_temperature=temperature, seed=seed, device=device,
        eval_every=eval_every, patience=patience, max_seconds=max_seconds,
    )
    _, result, metrics = train_files(
        train_file, output, model.value, dim, config, valid_file=valid, reciprocal=reciprocal, echo=typer.echo,
        checkpoint=checkpoint,
    )
    typer.echo(f"{result.seconds_per_epoch:.2f} s/epoch; saved to {output}")
    if metrics is not None:
        typer.echo(f"valid: {format_metrics(metrics)}")


def eval_cli(
    model_dir: Path = typer.Argument(..., help="A folder written by `kgx kge train`."),
    test_file: Path = typer.Argument(..., help="Test triples: TSV or RDF."),
    filters: List[Path] = typer.Option([], "--filter", help="Known true triples to filter out (repeat)."),
    batch_size: int = typer.Option(256, "--batch-size", min=1),
    device: Optional[str] = typer.Option(None, "--device"),
) -> None:
    """Filtered link prediction (heads and tails): MRR, Hits@1/3/10, mean rank."""
    metrics = evaluate_files(model_dir, test_file, filters, batch_size=batch_size, device=device)
    typer.echo(format_metrics(metrics))
