"""``kgx`` command line: the typer app, assembled here from thin command functions.

Each module of cli/ holds the plain, typer-annotated functions of one command group and
imports no other cli module (``export`` holds ``kgx export`` and ``kgx extract``, which
share their target options). Every command is registered through ``clean_errors``.
"""

import functools
from typing import Callable

import typer

from ..errors import KgxInputError, KgxStoreError
from . import calibrate, compare, convert, distant, export, kb, kge, quantize, query, show, train

app = typer.Typer(
    name="kgx",
    help="kgx-spacy: text → linked, typed RDF with provenance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Knowledge base from RDF: build it, look up candidates.", no_args_is_help=True)
kge_app = typer.Typer(
    help="Knowledge-graph embeddings: train on triples, evaluate filtered link prediction.",
    no_args_is_help=True,
)


def clean_errors(command: Callable) -> Callable:
    """``command``, with a bad-input or store error printed as one red line and exit code 2.

    functools.wraps keeps the command's signature and docstring, which typer reads.
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (KgxInputError, KgxStoreError) as err:
            typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=2)

    return run


# (group, name, command), in the order ``kgx --help`` lists them.
COMMANDS = [
    (app, "calibrate", calibrate.calibrate_cli),
    (app, "compare", compare.compare_cli),
    (app, "convert", convert.convert_cli),
    (app, "export", export.export_cli),
    (app, "extract", export.extract_cli),
    (app, "distant-label", distant.distant_label_cli),
    (app, "quantize", quantize.quantize_cli),
    (app, "query", query.query_cli),
    (app, "dump", query.dump_cli),
    (app, "fit-config", train.fit_config_cli),
    (app, "resume", train.resume_cli),
    (app, "show", show.show_cli),
    (app, "serve", show.serve_cli),
    (kb_app, "build", kb.build_cli),
    (kb_app, "lookup", kb.lookup_cli),
    (kge_app, "train", kge.train_cli),
    (kge_app, "eval", kge.eval_cli),
]
# Commands that take spaCy-style config overrides after their arguments.
EXTRA_ARGS = {train.resume_cli: train.CONTEXT_SETTINGS}
for group, name, command in COMMANDS:
    group.command(name, context_settings=EXTRA_ARGS.get(command))(clean_errors(command))
del group, name, command
app.add_typer(kb_app, name="kb")
app.add_typer(kge_app, name="kge")

__all__ = ["app"]
