"""``kgx query``: run a SPARQL query on the embedded store and print the answer as a table."""

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import KgxInputError
from ._app import app, fail_cleanly


# Prefixes a query may use without declaring them.
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "kgx": "https://w3id.org/kgx-spacy/vocab#",
}


def query_store(store_dir: Path, sparql: str) -> tuple:
    """``(variables, rows)`` of a query over every named graph (union default graph).

    The prefixes in ``PREFIXES`` need no declaration. Rows hold each term in SPARQL
    syntax, as pyoxigraph writes it; ASK gives one row, CONSTRUCT one row per triple.
    """
    import pyoxigraph

    if not Path(store_dir).is_dir():
        raise KgxInputError(store_dir, "no store here: run `kgx export ... --store DIR` first")
    store = pyoxigraph.Store.read_only(str(store_dir))
    try:
        answer = store.query(sparql, use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as err:
        raise KgxInputError("query", f"not valid SPARQL: {err}") from None
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return ["ask"], [[str(bool(answer)).lower()]]
    if isinstance(answer, pyoxigraph.QueryTriples):
        return ["subject", "predicate", "object"], [[show(t.subject), show(t.predicate), show(t.object)] for t in answer]
    variables = [v.value for v in answer.variables]
    rows = [[show(row[v]) for v in variables] for row in answer]
    return variables, rows


def show(term) -> str:
    """A term for people: literals by their value, IRIs shortened with ``PREFIXES``."""
    import pyoxigraph

    if term is None:
        return ""
    if isinstance(term, pyoxigraph.Literal):
        return term.value
    if isinstance(term, pyoxigraph.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace):]}"
    return str(term)


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
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        table.add_row(*row)
    Console().print(table)
