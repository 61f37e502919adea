"""The typer app every command module registers on."""

import typer

app = typer.Typer(
    name="kgx",
    help="kgx-spacy: text → linked, typed RDF with provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def fail_cleanly(err: Exception) -> "typer.Exit":
    """Print a bad-input or store error as one clear line; the caller raises the result."""
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)
