"""``kgx kb``: build a KB folder from RDF files; look up candidate entities for a mention.
``kgx distant-label``: your texts + your RDF graph → training Docs (distant supervision).

Both read your own graph with label predicates (``parse_label_predicates``), so they
share one module.
"""

import json
import sys
import zlib
from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pyoxigraph as ox
import spacy
import typer

from ..corpora import write_docbin
from ..errors import KgxInputError
from ..extensions import DOC_ID, install_extensions
from ..inputs import input_files, read_texts
from ..io import atomic_write
from ..kb import FORMATS, KB, Candidate, build_kb
from ..kb.build import DEFAULT_LABEL_PREDICATES, read_quads
from ..supervision.distant import DistantLabeler, DistantReport, GraphFacts

Format = Enum("Format", {name: name for name in FORMATS}, type=str)
PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dbo": "http://dbpedia.org/ontology/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}


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


def parse_label_predicates(values: Sequence[str]) -> Dict[str, float]:
    """``["skos:altLabel=0.5", "http://…/name"]`` → ``{full IRI: weight}`` (weight 1.0 if none)."""
    predicates = {}
    for value in values:
        iri, weight = value, 1.0
        head, sep, tail = value.rpartition("=")
        if sep:
            try:
                iri, weight = head, float(tail)
            except ValueError:
                pass
        prefix, colon, rest = iri.partition(":")
        if colon and prefix in PREFIXES and not rest.startswith("//"):
            iri = PREFIXES[prefix] + rest
        try:
            ox.NamedNode(iri)
        except ValueError as err:
            raise KgxInputError("--label-predicate", f"{value!r} is not an IRI: {err}") from None
        predicates[iri] = weight
    return predicates


def distant_label_cli(
    inputs: List[Path] = typer.Argument(..., help=".txt and .jsonl files, folders of them, or - for stdin."),
    kg: List[Path] = typer.Option(..., "--kg", help="RDF file of your graph (any format kgx kb build reads); repeat."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for train.spacy, dev.spacy, report.json."),
    dev_fraction: float = typer.Option(0.1, "--dev-fraction", min=0.0, max=1.0, help="Share of documents for dev.spacy."),
    lang: str = typer.Option("en", "--lang", help="spaCy language of the texts (its tokenizer)."),
    label_predicates: Optional[List[str]] = typer.Option(
        None, "--label-predicate", "-l", help="Label predicate (IRI or prefixed name); repeat. Default: kgx kb build's."
    ),
    label_lang: Optional[List[str]] = typer.Option(None, "--label-lang", help="Keep labels in this language; repeat."),
    entity_label: str = typer.Option("ENT", "--entity-label", help="doc.ents label of the aligned entities."),
    keep_empty: bool = typer.Option(False, "--keep-empty", help="Keep documents in which no fact was found."),
    id_field: str = typer.Option("id", "--id-field", help="JSONL field of the document id."),
    text_field: str = typer.Option("text", "--text-field", help="JSONL field of the text."),
):
    """Label texts with the facts of an RDF graph they state: entities (linked), relations
    and literal attributes, as DocBins to train a pipeline on your own KG."""
    report = distant_label(
        inputs, kg, output, dev_fraction, lang, label_predicates, label_lang, entity_label,
        keep_empty, id_field, text_field,
    )
    typer.echo(report.summary())
    typer.echo(f"  → {output / 'train.spacy'}, {output / 'dev.spacy'}, {output / 'report.json'}")


def distant_label(
    inputs: List[Path],
    kg: List[Path],
    output: Path,
    dev_fraction: float = 0.1,
    lang: str = "en",
    label_predicates: Optional[List[str]] = None,
    label_lang: Optional[List[str]] = None,
    entity_label: str = "ENT",
    keep_empty: bool = False,
    id_field: str = "id",
    text_field: str = "text",
) -> DistantReport:
    """Distant-label the texts of ``inputs`` with the graph of ``kg`` into ``output``.

    A document goes to dev when a hash of its id (its text when it has none) falls in
    ``dev_fraction``, so the split does not depend on the input order. The report also
    holds ``properties`` (relation/attribute name → predicate IRI, for ``kgx_rdf``'s
    ``properties``/``attributes``) and ``value_kinds`` (for ``kgx_attribute_tagger``).
    Every file is read before anything is written; outputs are written atomically.
    """
    install_extensions()
    predicates = parse_label_predicates(label_predicates) if label_predicates else DEFAULT_LABEL_PREDICATES
    quads = (quad for path in kg for quad in read_quads(path))
    graph = GraphFacts(quads, predicates, label_lang)
    nlp = spacy.blank(lang)
    labeler = DistantLabeler(entity_label, lang=lang)
    sources = input_files(inputs, exclude={(output / name).resolve() for name in ("train.spacy", "dev.spacy")})
    report = DistantReport("distant-label", "all", [str(s) for s, _ in sources])
    splits = {"train": [], "dev": []}
    for text, doc_id in read_texts(sources, id_field, text_field, "text", sys.stdin.buffer):
        doc = nlp.make_doc(text)
        if doc_id is not None:
            doc._.set(DOC_ID, doc_id)
        entities = graph.mentioned(doc)
        facts = graph.facts_between(entities)
        aligned = report.aligned_facts
        labeler(doc, facts, graph.labels, report, entities=entities)
        if report.aligned_facts == aligned and not keep_empty:
            report.dropped["docs.no_fact"] += 1
            continue
        report.count(doc)
        key = (doc_id if doc_id is not None else text).encode("utf-8")
        splits["dev" if zlib.crc32(key) / 2**32 < dev_fraction else "train"].append(doc)
    for split, docs in splits.items():
        write_docbin(docs, output / f"{split}.spacy")
    data = report.to_dict()
    data["documents"] = {split: len(docs) for split, docs in splits.items()}
    data["properties"] = dict(sorted(graph.properties.items()))
    data["attribute_value_kinds"] = report.majority_kinds()
    with atomic_write(output / "report.json", "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    return report
