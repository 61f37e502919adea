"""``kgx compare``: the facts extracted from your texts against your KG: confirmed, new,
conflicting, or about new entities; new facts ranked by their evidence and the KGE."""

from collections import Counter
from pathlib import Path
from typing import List, Optional

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from ..errors import KgxInputError
from ..feedback.compare import (
    CLASSES,
    CONFLICTING,
    NEW,
    KnowledgeGraph,
    Ranking,
    compare,
    endpoint_rows,
    open_source,
    store_rows,
    write_facts,
)
from ..iris import DEFAULT_BASE_IRI
from ..kge import Plausibility
from ..rdf.sparql import SparqlEndpoint

FORMATS = ("trig", "nq", "json", "csv")


def compare_cli(
    source: Optional[Path] = typer.Argument(
        None, help="What kgx extract wrote: an embedded store folder or an RDF file (TriG, N-Quads)."
    ),
    kg: List[Path] = typer.Option(..., "--kg", help="Your KG: an RDF file (repeat for several)."),
    kge: Optional[Path] = typer.Option(None, "--kge", help="KGE of your KG (kgx kge train): plausibility of new facts."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="Read the extracted facts from this SPARQL endpoint."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write every compared fact here."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="trig, nq (a named graph per class), json or csv; default from --output."),
    ranking: Optional[Path] = typer.Option(None, "--ranking", help="Ranking weights (JSON); default: the one learned on WebNLG dev (bench/kg_feedback.py)."),
    top: int = typer.Option(15, "--top", min=0, help="Rows of new facts and of conflicts to print."),
    base_iri: str = typer.Option(DEFAULT_BASE_IRI + "compare/", "--base-iri", help="Base of the class graphs' IRIs."),
) -> None:
    """Class every extracted fact whose ends are linked as confirmed (in the KG), new, or
    conflicting (another object of a functional predicate); facts with a new entity apart.
    New facts are ranked by extraction confidence, documents and KGE plausibility."""
    if (source is None) == (endpoint is None):
        raise KgxInputError("compare", "give the extracted facts as a store folder or RDF file, or --endpoint URL")
    fmt = fmt or (output.suffix.lstrip(".").lower() if output is not None else None)
    if output is not None and fmt not in FORMATS:
        raise KgxInputError(output, f"unknown format {fmt!r}: {', '.join(FORMATS)}")
    graph = KnowledgeGraph.from_files(kg)
    plausibility = Plausibility.from_disk(kge, known=graph.entity_triples()) if kge is not None else None
    weights = Ranking.from_disk(ranking) if ranking is not None else Ranking.default()
    if endpoint is not None:
        rows, nils = endpoint_rows(SparqlEndpoint(endpoint).query)
    else:
        if not source.exists():
            raise KgxInputError(source, "no such store folder or file")
        rows, nils = store_rows(open_source(source))
    console = Console()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("reading extracted statements")
        facts = compare(rows, nils, graph, plausibility, weights,
                        progress=lambda n: bar.update(task, description=f"reading extracted statements: {n:,}"))
    counts = Counter(f.kind for f in facts)
    console.print(
        f"{len(facts):,} distinct facts: " + ", ".join(f"{counts[k]:,} {k.replace('_', ' ')}" for k in CLASSES)
        + f"; {len(graph.functional)} functional predicates in the KG; ranking: {weights.source}"
    )
    for kind in (NEW, CONFLICTING):
        shown = [f for f in facts if f.kind == kind][:top]
        if shown:
            console.print(_table(kind, shown, graph.labels))
    if output is not None:
        write_facts(facts, output, fmt, base_iri)
        console.print(f"→ {output}")


def _table(kind: str, facts, labels) -> Table:
    table = Table(title=f"{kind} facts, best first" if kind == NEW else "conflicts with the KG", show_lines=False)
    for column in ("subject", "predicate", "object", "docs", "conf.", "KGE", "score"):
        table.add_column(column, overflow="fold")
    if kind == CONFLICTING:
        table.add_column("the KG says", overflow="fold")
    for fact in facts:
        row = [_show(fact.subject, labels), _show(fact.predicate, {}), _show(fact.object, labels),
               str(len(fact.documents)), f"{fact.confidence:.2f}",
               "–" if fact.plausibility is None else f"{fact.plausibility:.3f}", f"{fact.score:.3f}"]
        if kind == CONFLICTING:
            row.append(", ".join(_show(o, labels) for o in fact.kg_objects))
        table.add_row(*row)
    return table


def _show(term, labels) -> str:
    """A term for the table: a literal's value; an IRI's label in the KG, or its last segment."""
    if isinstance(term, ox.Literal):
        return term.value
    local = term.value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return f"{labels[term]} ({local})" if term in labels else local
