"""``kgx kb``: build a KB folder from RDF files; look up candidate entities for a mention."""

from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import typer

from ..kb import FORMATS, KB, Candidate, build_kb
from ..kb.build import DEFAULT_LABEL_PREDICATES, parse_label_predicates

Format = Enum("Format", {name: name for name in FORMATS}, type=str)


def build_cli(
    inputs: List[Path] = typer.Argument(
        ..., help="RDF files: Turtle, N-Triples, N-Quads, TriG, N3, RDF/XML, JSON-LD (.gz/.bz2 too)."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The KB folder to write."),
    label_predicates: Optional[List[str]] = typer.Option(
        None, "--label-predicate", "-l",
        help="Label predicate IRI or prefixed name (skos:altLabel), optionally =WEIGHT; repeat. "
        "Replaces the defaults.",
    ),
    lang: Optional[List[str]] = typer.Option(
        None, "--lang", help="Keep labels in this language (and untagged ones); repeat."
    ),
    fmt: Optional[Format] = typer.Option(
        None, "--format", "-f", help="Format of every input; default from each extension."
    ),
    local_name_labels: bool = typer.Option(
        False,
        "--local-name-labels",
        help="Label each unlabelled entity with its IRI's local name (New_York → New York).",
    ),
):
    """Read RDF files into a KB folder (memory-mappable arrays) and print its counts."""
    counts = build(inputs, output, label_predicates, lang, fmt and fmt.value, local_name_labels)
    summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    typer.echo(f"KB written to {output}: {summary}")


def lookup_cli(
    kb_dir: Path = typer.Argument(..., help="A KB folder written by `kgx kb build`."),
    mention: str = typer.Argument(..., help="The mention text."),
    k: int = typer.Option(10, "-k", "--top", min=1, help="How many candidates."),
    fuzzy: bool = typer.Option(True, "--fuzzy/--no-fuzzy", help="Also match aliases by character trigrams."),
):
    """Print the candidate entities for a mention, best first."""
    candidates = lookup(kb_dir, mention, k, fuzzy)
    if not candidates:
        typer.echo("no candidates")
    for c in candidates:
        match = "exact" if c.exact else "normalised" if c.normalised else "fuzzy"
        typer.echo(f"{c.score:.3f}\t{c.prior:.3f}\t{match}\t{c.iri}\t{c.alias}")


def build(
    inputs: Sequence[Path],
    output: Path,
    label_predicates: Optional[Sequence[str]] = None,
    languages: Optional[Sequence[str]] = None,
    fmt: Optional[str] = None,
    local_name_labels: bool = False,
) -> Dict[str, int]:
    """Build the KB of ``inputs``, write it to ``output``; RETURNS its counts."""
    predicates = parse_label_predicates(label_predicates) if label_predicates else DEFAULT_LABEL_PREDICATES
    kb = build_kb(
        inputs, fmt=fmt, label_predicates=predicates, languages=languages,
        local_name_labels=local_name_labels,
    )
    kb.to_disk(output)
    return kb.counts


def lookup(kb_dir: Path, mention: str, k: int = 10, fuzzy: bool = True) -> List[Candidate]:
    return KB.from_disk(kb_dir).candidates(mention, k, fuzzy=fuzzy)


