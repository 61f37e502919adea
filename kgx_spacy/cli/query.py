"""``kgx query``: run a SPARQL query on the embedded store and print the answer as a table."""

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import KgxInputError
from ._app import app, fail_cleanly


def query_store(store_dir: Path, sparql: str) -> tuple:
    """``(variables, rows)`` of a SELECT query over every named graph (union default graph).

    Rows hold each term in SPARQL syntax, as pyoxigraph writes it; ASK gives one row.
    """
    import pyoxigraph

    if not Path(store_dir).is_dir():
        raise KgxInputError(store_dir, "no store here: run `kgx export ... --store DIR` first")
    store = pyoxigraph.Store.read_only(str(store_dir))
    try:
        answer = store.query(sparql, use_default_graph_as_union=True)
    except SyntaxError as err:
        raise KgxInputError("query", f"not valid SPARQL: {err}") from None
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return ["ask"], [[str(bool(answer)).lower()]]
    if isinstance(answer, pyoxigraph.QueryTriples):
        return ["subject", "predicate", "object"], [[str(t.subject), str(t.predicate), str(t.object)] for t in answer]
    variables = [v.value for v in answer.variables]
    rows = [[str(row[v]) if row[v] is not None else "" for v in variables] for row in answer]
    return variables, rows


@app.command("query")
def query_cli(
    sparql: str = typer.Argument(..., help="SPARQL query (SELECT, ASK or CONSTRUCT)"),
    store: Path = typer.Option(Path("kgx-store"), "--store", help="embedded Oxigraph store directory"),
) -> None:
    """Query the embedded store; the default graph is the union of all document graphs."""
    try:
        variables, rows = query_store(store, sparql)
    except KgxInputError as err:
        raise fail_cleanly(err)
    table = Table(*variables)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
