"""RDF files → KB: one streaming pass with pyoxigraph, then numpy for the rest.

What becomes what:
- a literal object of a *label predicate* (weighted: preferred names weigh more) is a
  label of its subject; the language filter keeps the given languages and untagged ones;
- ``rdf:type`` with an IRI object gives the subject a type;
- any other triple between two IRIs is an entity–entity triple;
- the entities are the IRIs that have a label or a type, or occur in such a triple.
Blank nodes and other literal-valued triples are skipped; N-Quads and TriG read as the
union of their graphs, and repeated statements count once.
"""

import bz2
import gzip
import urllib.parse
from array import array
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

import numpy as np
import pyoxigraph as ox
from rdflib import FOAF, RDF, RDFS, SKOS

from ..errors import KgxInputError
from .arrays import csr_indptr
from .index import AliasIndex, normalise
from .kb import KB
from .strings import StringTable

SCHEMA_HTTP, SCHEMA_HTTPS = "http://schema.org/", "https://schema.org/"
DEFAULT_LABEL_PREDICATES: Dict[str, float] = {
    str(SKOS.prefLabel): 1.0,
    str(RDFS.label): 1.0,
    SCHEMA_HTTP + "name": 1.0,
    SCHEMA_HTTPS + "name": 1.0,
    str(FOAF.name): 1.0,
    str(SKOS.altLabel): 0.5,
    SCHEMA_HTTP + "alternateName": 0.5,
    SCHEMA_HTTPS + "alternateName": 0.5,
    "http://dbpedia.org/ontology/alias": 0.5,
}
# Prefixes a --label-predicate may use (skos:altLabel).
LABEL_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "http://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dbo": "http://dbpedia.org/ontology/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}
LOCAL_NAME_WEIGHT = 0.25  # a label made from the IRI counts less than any asserted one

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "n3": ox.RdfFormat.N3,
    "xml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
EXTENSIONS = {
    ".ttl": "ttl", ".nt": "nt", ".nq": "nq", ".trig": "trig", ".n3": "n3",
    ".rdf": "xml", ".owl": "xml", ".xml": "xml", ".jsonld": "jsonld", ".json": "jsonld",
}
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open}
RDF_TYPE = str(RDF.type)


def file_format(path: Union[str, Path], fmt: Optional[str] = None) -> str:
    """``fmt`` if given, else the format its extension names (``data.nt.gz`` → ``"nt"``)."""
    path = Path(path)
    suffix = Path(path.stem).suffix if path.suffix.lower() in COMPRESSED else path.suffix
    fmt = fmt or EXTENSIONS.get(suffix.lower())
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise KgxInputError(path, f"unknown RDF format {fmt!r}: choose one of {known} (--format)")
    return fmt


def read_quads(path: Union[str, Path], fmt: Optional[str] = None) -> Iterator[ox.Quad]:
    """Stream the statements of an RDF file (``.gz``/``.bz2`` too) as pyoxigraph quads.

    Raises KgxInputError naming the file, and the line where the parser gives one.
    """
    path = Path(path)
    rdf_format = FORMATS[file_format(path, fmt)]
    if not path.is_file():
        raise KgxInputError(path, "no such file")
    opener = COMPRESSED.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as f:
            yield from ox.parse(f, rdf_format, base_iri=path.resolve().as_uri())
    except SyntaxError as err:
        raise KgxInputError(path, f"not valid {rdf_format.name}: {err.msg}", line=err.lineno) from None
    except (OSError, EOFError) as err:
        raise KgxInputError(path, f"cannot read: {err}") from None


def local_name(iri: str) -> str:
    """The label a DBpedia-style IRI spells: ``…/resource/New_York_City`` → ``New York City``."""
    name = iri.rstrip("/#")
    name = name[max(name.rfind("/"), name.rfind("#"), name.rfind(":")) + 1 :]
    return urllib.parse.unquote(name).replace("_", " ").strip()


def build_kb(
    paths: Iterable[Union[str, Path]],
    fmt: Optional[str] = None,
    label_predicates: Optional[Mapping[str, float]] = None,
    languages: Optional[Sequence[str]] = None,
    local_name_labels: bool = False,
) -> KB:
    """Read RDF files into a KB.

    paths: RDF files, read as one graph (any of FORMATS; ``.gz``/``.bz2`` allowed).
    fmt: the format of every file; None guesses each from its extension.
    label_predicates: predicate IRI → weight of the labels it gives (the alias prior's
        evidence); None: DEFAULT_LABEL_PREDICATES.
    languages: language tags to keep (``"en"`` also keeps ``en-GB``); untagged literals
        are always kept. None keeps every language.
    local_name_labels: give each entity without a label one made from its IRI's local
        name (underscores → spaces), as DBpedia resources spell their titles.
    """
    paths = [Path(p) for p in paths]
    reader = _Reader(label_predicates or DEFAULT_LABEL_PREDICATES, languages)
    for path in paths:
        file_format(path, fmt)  # a bad extension fails before any file is read
    for path in paths:
        reader.read(read_quads(path, fmt))
    meta = {
        "sources": [str(p) for p in paths],
        "label_predicates": dict(reader.label_weight),
        "languages": list(languages) if languages else None,
        "local_name_labels": local_name_labels,
    }
    return reader.finish(local_name_labels, meta)


class _Reader:
    """Interns IRIs and collects statements as compact integer arrays while parsing."""

    def __init__(self, label_predicates: Mapping[str, float], languages: Optional[Sequence[str]]):
        self.label_weight = {str(p): float(w) for p, w in label_predicates.items()}
        self.label_predicate_id = {p: i for i, p in enumerate(self.label_weight)}
        self.languages = {lang.lower() for lang in languages} if languages else None
        self.language_ok: Dict[str, bool] = {"": True}
        self.entities: Dict[str, int] = {}
        self.relations: Dict[str, int] = {}
        self.types: Dict[str, int] = {}
        self.texts: Dict[str, int] = {}
        self.tags: Dict[str, int] = {}
        self.triples = array("i")  # head, relation, tail, head, …
        self.typed = array("i")  # entity, type, entity, …
        self.labelled = array("i")  # entity, label predicate, text, language tag, entity, …

    def read(self, quads: Iterable[ox.Quad]) -> None:
        entity = self._entity
        for s, p, o, _ in quads:
            if type(s) is not ox.NamedNode:
                continue
            if type(o) is ox.Literal:
                predicate = self.label_predicate_id.get(p.value)
                if predicate is None:
                    continue
                tag = o.language or ""
                ok = self.language_ok.get(tag)
                if ok is None:
                    ok = self.language_ok[tag] = self._keep_language(tag)
                if ok:
                    text = self.texts.setdefault(o.value, len(self.texts))
                    language = self.tags.setdefault(tag, len(self.tags))
                    self.labelled.extend((entity(s.value), predicate, text, language))
            elif type(o) is ox.NamedNode:
                if p.value == RDF_TYPE:
                    self.typed.extend((entity(s.value), self.types.setdefault(o.value, len(self.types))))
                else:
                    relation = self.relations.setdefault(p.value, len(self.relations))
                    self.triples.extend((entity(s.value), relation, entity(o.value)))

    def _entity(self, iri: str) -> int:
        return self.entities.setdefault(iri, len(self.entities))

    def _keep_language(self, tag: str) -> bool:
        if not self.languages:
            return True
        tag = tag.lower()
        return any(tag == lang or tag.startswith(lang + "-") for lang in self.languages)

    def finish(self, local_name_labels: bool, meta: Dict) -> KB:
        """Sort every vocabulary by IRI (id = position) and turn the statements into arrays."""
        entities, entity_rank = _sorted_table(self.entities)
        self.entities = {}
        relations, relation_rank = _sorted_table(self.relations)
        types, type_rank = _sorted_table(self.types)

        # Each buffer is dropped as soon as it is read, to keep the peak down.
        triples = np.frombuffer(self.triples, dtype=np.int32).reshape(-1, 3)
        self.triples = array("i")
        triples = np.stack(
            [entity_rank[triples[:, 0]], relation_rank[triples[:, 1]], entity_rank[triples[:, 2]]], axis=1
        )
        triples = _distinct_rows(triples[np.lexsort(triples.T[::-1])])

        typed = np.frombuffer(self.typed, dtype=np.int32).reshape(-1, 2)
        self.typed = array("i")
        pairs = np.unique((entity_rank[typed[:, 0]].astype(np.int64) << 32) | type_rank[typed[:, 1]])
        del typed

        label_indptr, labels, aliases = self._labels(entities, entity_rank, local_name_labels)
        return KB(
            entities=entities,
            relations=relations,
            types=types,
            triples=triples,
            type_indptr=csr_indptr(pairs >> 32, len(entities)),
            type_ids=(pairs & 0xFFFFFFFF).astype(np.int32),
            label_indptr=label_indptr,
            labels=labels,
            aliases=aliases,
            meta=meta,
        )

    def _labels(self, entities: StringTable, entity_rank: np.ndarray, local_name_labels: bool):
        """Each entity's labels (CSR, most preferred first) and the alias index over them."""
        labelled = np.frombuffer(self.labelled, dtype=np.int32).reshape(-1, 4)
        self.labelled = array("i")
        statements = np.column_stack([entity_rank[labelled[:, 0]], labelled[:, 1:]])
        del labelled
        statements = _distinct_rows(statements[np.lexsort(statements.T[::-1])])
        texts = list(self.texts)
        self.texts = {}
        label_entity, label_text = statements[:, 0].astype(np.int64), statements[:, 2].astype(np.int64)
        label_weight = np.array(list(self.label_weight.values()))[statements[:, 1]]
        if local_name_labels:
            unlabelled = np.setdiff1d(np.arange(len(entities)), label_entity)
            names = [local_name(entities[e]) for e in unlabelled.tolist()]
            keep = np.array([bool(name) for name in names], dtype=bool)
            label_entity = np.concatenate([label_entity, unlabelled[keep]])
            label_text = np.concatenate([label_text, len(texts) + np.arange(keep.sum())])
            label_weight = np.concatenate([label_weight, np.full(keep.sum(), LOCAL_NAME_WEIGHT)])
            texts.extend(name for name in names if name)

        # One (entity, text) pair per label, its weight summed over predicates and languages;
        # each entity's labels by weight, then text.
        pair, inverse = np.unique((label_entity << 32) | label_text, return_inverse=True)
        pair_weight = np.bincount(inverse, weights=label_weight)
        pair_entity, pair_text = pair >> 32, pair & 0xFFFFFFFF
        text_rank = np.empty(len(texts), dtype=np.int64)
        text_rank[sorted(range(len(texts)), key=texts.__getitem__)] = np.arange(len(texts))
        order = np.lexsort((text_rank[pair_text], -pair_weight, pair_entity))
        pair_entity, pair_text, pair_weight = pair_entity[order], pair_text[order], pair_weight[order]
        labels = StringTable.from_strings([texts[t] for t in pair_text.tolist()])

        norms = [normalise(t) for t in texts]
        del texts
        has_alias = np.array([bool(norms[t]) for t in pair_text.tolist()], dtype=bool)
        aliases = AliasIndex.build(
            [norms[t] for t in pair_text[has_alias].tolist()], pair_entity[has_alias], pair_weight[has_alias]
        )
        return csr_indptr(pair_entity, len(entities)), labels, aliases


def _sorted_table(ids: Dict[str, int]):
    """The strings sorted (a StringTable) and each first-seen id's rank among them."""
    strings: List[str] = sorted(ids)
    rank = np.empty(len(strings), dtype=np.int32)
    first_seen = np.fromiter(map(ids.__getitem__, strings), dtype=np.int64, count=len(strings))
    rank[first_seen] = np.arange(len(strings))
    return StringTable.from_strings(strings), rank


def _distinct_rows(rows: np.ndarray) -> np.ndarray:
    """The rows of a row-sorted 2-d array, each once."""
    if len(rows) < 2:
        return rows
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return rows[keep]


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
        if colon and prefix in LABEL_PREFIXES and not rest.startswith("//"):
            iri = LABEL_PREFIXES[prefix] + rest
        try:
            ox.NamedNode(iri)
        except ValueError as err:
            raise KgxInputError("--label-predicate", f"{value!r} is not an IRI: {err}") from None
        predicates[iri] = weight
    return predicates
