"""``kgx query``: run a SPARQL query on the embedded store and print the answer as a table;
``kgx dump``: write the store to an RDF file."""

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import KgxInputError
from ..io import atomic_write
from ..rdf.serialize import FORMATS, PREFIXES as SERIALIZE_PREFIXES, Format, file_format
from ..rdf.targets import DEFAULT_STORE

# Prefixes a query may use without declaring them.
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "kgx": "https://w3id.org/kgx-spacy/vocab#",
    "dbo": "http://dbpedia.org/ontology/",
    "dbr": "http://dbpedia.org/resource/",
    "owl": "http://www.w3.org/2002/07/owl#",
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


def query_cli(
    sparql: str = typer.Argument(..., help="SPARQL query (SELECT, ASK or CONSTRUCT)"),
    store: Path = typer.Option(DEFAULT_STORE, "--store", help="embedded Oxigraph store directory"),
) -> None:
    """Query the embedded store; the default graph is the union of all document graphs."""
    variables, rows = query_store(store, sparql)
    table = Table(*variables)
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def dump_store(store_dir: Path, path: Path, fmt: Optional[str] = None) -> int:
    """Write every statement of the embedded store to one RDF file, atomically.

    Quad formats (N-Quads, TriG, JSON-LD) keep each document's named graph; triple formats
    (Turtle, N-Triples) hold their union. RETURNS: the number of statements written.
    """
    import pyoxigraph

    if not Path(store_dir).is_dir():
        raise KgxInputError(store_dir, "no store here: run `kgx export ... --store DIR` first")
    rdf_format = FORMATS[file_format(path, fmt)]
    store = pyoxigraph.Store.read_only(str(store_dir))
    quads = store.quads_for_pattern(None, None, None, None)
    if rdf_format.supports_datasets:
        statements = list(quads)
    else:
        statements = sorted({quad.triple for quad in quads}, key=str)
    with atomic_write(path, "wb") as f:
        pyoxigraph.serialize(statements, f, rdf_format, prefixes=SERIALIZE_PREFIXES)
    return len(statements)


def dump_cli(
    output: Path = typer.Option(..., "--output", "-o", help="RDF file to write (.nq, .trig, .jsonld, .ttl, .nt)."),
    store: Path = typer.Option(DEFAULT_STORE, "--store", help="embedded Oxigraph store directory"),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="File format; default from the extension."),
) -> None:
    """Write the embedded store to an RDF file (named graphs kept in quad formats)."""
    count = dump_store(store, output, fmt and fmt.value)
    typer.echo(f"{count} statements from {store} → {output}")
