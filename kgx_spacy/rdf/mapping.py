"""Doc → RDF quads, with provenance on every asserted triple.

Layout, for a Doc whose IRI is ``D`` (one named graph ``D`` per document):

- ``D a kgx:Document; dcterms:identifier "id"; kgx:text "..."``.
- Entities: ``E a <class>`` and ``E rdfs:label "mention"``; relations ``H <property> T``;
  attributes ``E <datatype property> "literal"^^xsd:…``.
- Each of those asserted triples has a statement node ``D#s-<hash>`` (``D/s-<hash>`` when
  ``D`` already has a fragment, as under a ``…#`` base IRI) (RDF reification):
  ``rdf:subject/predicate/object``, ``prov:wasDerivedFrom D``, ``kgx:startChar``,
  ``kgx:endChar``, ``kgx:component``, ``kgx:confidence`` and, when set, ``kgx:runId``.

Every IRI is deterministic: the same Doc and mapping always give the same graph, so
re-exporting a document replaces its graph instead of duplicating it.
"""

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

from rdflib import RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, NamespaceManager
from spacy.tokens import Doc, Span

from .. import iris
from ..extensions import ATTRIBUTES, DOC_ID, ENTITIES_SPANS_KEY, LINKS, RDF_CONFIG, RELATIONS
from ..iris import DEFAULT_BASE_IRI, encode_segment
from .vocab import KGX

Quad = Tuple[URIRef, URIRef, object, URIRef]

DEFAULT_PRODUCERS = {
    "entities": "kgx_ner",
    "links": "kgx_entity_linker",
    "relations": "kgx_relation_classifier",
    "attributes": "kgx_attribute_tagger",
}


@dataclass
class RDFMapping:
    """How a pipeline names things in RDF; carried in the ``kgx_rdf`` component's config.

    base_iri: prefix for minted IRIs (documents, entities, unmapped classes/properties).
    classes: entity label → class IRI. properties: relation label → object property IRI.
    attributes: attribute label → datatype property IRI. Unmapped labels get
        ``{base_iri}class/<label>``, ``…property/<label>``, ``…attribute/<label>``, or
        ``{vocabulary}<label>`` when ``vocabulary`` is set.
    vocabulary: the namespace of unmapped relation and attribute labels, for a pipeline
        trained on one vocabulary's predicates (``http://dbpedia.org/ontology/``).
    include_text: write the document text as ``kgx:text``.
    producers: component name written as ``kgx:component`` per kind of statement
        (``entities``, ``links``, ``relations``, ``attributes``); ``"gold"`` for annotations.
    run_id: written as ``kgx:runId`` on every statement when set.
    """

    base_iri: str = DEFAULT_BASE_IRI
    classes: Dict[str, str] = field(default_factory=dict)
    properties: Dict[str, str] = field(default_factory=dict)
    attributes: Dict[str, str] = field(default_factory=dict)
    vocabulary: Optional[str] = None
    include_text: bool = True
    producers: Dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PRODUCERS))
    run_id: Optional[str] = None

    def __post_init__(self):
        self.base_iri = iris.base(self.base_iri)
        self.producers = {**DEFAULT_PRODUCERS, **self.producers}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Optional[dict]) -> "RDFMapping":
        return cls(**(data or {}))

    @classmethod
    def gold(cls, **kwargs) -> "RDFMapping":
        """A mapping for annotated (gold) Docs: every statement's component is ``"gold"``."""
        producers = {kind: "gold" for kind in DEFAULT_PRODUCERS}
        return cls(producers=producers, **kwargs)

    def mint(self, *segments: str) -> URIRef:
        return URIRef(iris.mint(self.base_iri, *segments))

    def class_iri(self, label: str) -> URIRef:
        return URIRef(self.classes[label]) if label in self.classes else self.mint("class", label)

    def property_iri(self, label: str) -> URIRef:
        if label in self.properties:
            return URIRef(self.properties[label])
        return self._term(label) if self.vocabulary else self.mint("property", label)

    def attribute_iri(self, label: str) -> URIRef:
        if label in self.attributes:
            return URIRef(self.attributes[label])
        return self._term(label) if self.vocabulary else self.mint("attribute", label)

    def _term(self, label: str) -> URIRef:
        return URIRef(self.vocabulary + encode_segment(label))

    def doc_iri(self, doc: Doc) -> URIRef:
        return URIRef(iris.document_iri(self.base_iri, doc.text, doc._.get(DOC_ID)))

    def entity_iri(self, text: str, label: Optional[str]) -> URIRef:
        """Minted IRI for an unlinked mention: the same text and type give the same IRI."""
        return URIRef(iris.entity_iri(self.base_iri, text, label))


def doc_to_dataset(doc: Doc, mapping: Optional[RDFMapping] = None) -> Dataset:
    """The Doc as an rdflib Dataset with one named graph (the document's IRI).

    mapping: defaults to the one the ``kgx_rdf`` component stored on the Doc, else
        ``RDFMapping()``.
    """
    mapping = mapping or RDFMapping.from_dict(doc._.get(RDF_CONFIG))
    dataset = new_dataset(mapping)
    graph = dataset.graph(mapping.doc_iri(doc))
    graph.addN((s, p, o, graph) for s, p, o, _ in doc_quads(doc, mapping))
    return dataset


def new_dataset(mapping: RDFMapping) -> Dataset:
    dataset = Dataset()
    dataset.namespace_manager = NamespaceManager(dataset, bind_namespaces="core")
    dataset.bind("kgx", KGX._NS)
    dataset.bind("prov", PROV)
    dataset.bind("dcterms", DCTERMS)
    return dataset


def doc_quads(doc: Doc, mapping: RDFMapping) -> Iterator[Quad]:
    """Every quad of the Doc's graph, in a deterministic order."""
    emitter = _Emitter(doc, mapping)
    yield from emitter.document()
    found = mentions(doc, mapping)
    mention_iris = {key: mention.iri for key, mention in found.items()}
    for span, label, score, iri, link in found.values():
        yield from emitter.asserted(
            (iri, RDF.type, mapping.class_iri(label)), span, span, "entities", score
        )
        label_producer, label_score = ("links", link["score"]) if link else ("entities", score)
        yield from emitter.asserted(
            (iri, RDFS.label, Literal(span.text)), span, span, label_producer, label_score
        )
        if link and link.get("nil"):
            yield from emitter.asserted(
                (iri, KGX.nil, Literal(True)), span, span, "links", link["score"]
            )
    for rel in doc._.get(RELATIONS):
        head, tail = _span(doc, rel["head"]), _span(doc, rel["tail"])
        triple = (
            argument_iri(head, mention_iris, mapping),
            mapping.property_iri(rel["label"]),
            argument_iri(tail, mention_iris, mapping),
        )
        yield from emitter.asserted(triple, head, tail, "relations", rel.get("score", 1.0))
    for attr in doc._.get(ATTRIBUTES):
        entity, value = _span(doc, attr["entity"]), _span(doc, attr["value"])
        triple = (
            argument_iri(entity, mention_iris, mapping),
            mapping.attribute_iri(attr["attribute"]),
            make_literal(attr.get("lexical") or value.text, attr.get("datatype"), attr.get("lang")),
        )
        yield from emitter.asserted(triple, entity, value, "attributes", attr.get("score", 1.0))


def make_literal(lexical: str, datatype: Optional[str], lang: Optional[str] = None) -> Literal:
    """A typed literal; no datatype means xsd:string, rdf:langString needs ``lang``."""
    if datatype == str(RDF.langString) and lang:
        return Literal(lexical, lang=lang)
    if not datatype or datatype == str(XSD.string):
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


class _Emitter:
    """Writes asserted triples and their reified provenance into the document's graph."""

    def __init__(self, doc: Doc, mapping: RDFMapping):
        self.doc = doc
        self.mapping = mapping
        self.doc_iri = mapping.doc_iri(doc)

    def document(self) -> Iterator[Quad]:
        g = self.doc_iri
        yield (g, RDF.type, KGX.Document, g)
        doc_id = self.doc._.get(DOC_ID)
        if doc_id is not None:
            yield (g, DCTERMS.identifier, Literal(str(doc_id)), g)
        if self.mapping.include_text:
            yield (g, KGX.text, Literal(self.doc.text), g)

    def asserted(self, triple, first: Span, second: Span, kind: str, score) -> Iterator[Quad]:
        g = self.doc_iri
        s, p, o = triple
        start = min(first.start_char, second.start_char)
        end = max(first.end_char, second.end_char)
        key = "\x1f".join((_n3(s), _n3(p), _n3(o), str(start), str(end)))
        sep = "/" if "#" in g else "#"  # an IRI has at most one fragment
        stmt = URIRef(f"{g}{sep}s-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:20]}")
        yield (s, p, o, g)
        yield (stmt, RDF.type, RDF.Statement, g)
        yield (stmt, RDF.subject, s, g)
        yield (stmt, RDF.predicate, p, g)
        yield (stmt, RDF.object, o, g)
        yield (stmt, PROV.wasDerivedFrom, g, g)
        yield (stmt, KGX.startChar, Literal(start), g)
        yield (stmt, KGX.endChar, Literal(end), g)
        yield (stmt, KGX.component, Literal(self.mapping.producers[kind]), g)
        yield (stmt, KGX.confidence, Literal(float(score), datatype=XSD.double), g)
        if self.mapping.run_id:
            yield (stmt, KGX.runId, Literal(self.mapping.run_id), g)


def _n3(term) -> str:
    """rdflib's N3 form of a term; ValueError (not rdflib's bare Exception) for a bad IRI."""
    try:
        return term.n3()
    except Exception as err:  # rdflib raises a bare Exception for an IRI it cannot write
        raise ValueError(str(err)) from None


def entity_mentions(doc: Doc) -> Dict[Tuple[int, int], Tuple[Span, str, float]]:
    """(start, end) → (span, label, score) for doc.ents, scores from the kgx span group."""
    scores = {}
    group = doc.spans.get(ENTITIES_SPANS_KEY)
    if group is not None and "scores" in group.attrs:
        for span, score in zip(group, group.attrs["scores"]):
            scores[(span.start, span.end, span.label_)] = float(score)
    return {
        (ent.start, ent.end): (ent, ent.label_, scores.get((ent.start, ent.end, ent.label_), 1.0))
        for ent in doc.ents
    }


class Mention(NamedTuple):
    """An entity of ``doc.ents`` as its RDF states it: its score, IRI and link record (if any)."""

    span: Span
    label: str
    score: float
    iri: URIRef
    link: Optional[dict]


def mentions(doc: Doc, mapping: RDFMapping) -> Dict[Tuple[int, int], Mention]:
    """(start, end) → each entity of ``doc.ents`` with the IRI ``doc_quads`` gives it."""
    links = {(link["start"], link["end"]): link for link in doc._.get(LINKS)}
    return {
        key: Mention(span, label, score, *_entity_iri(span, label, links.get(key), mapping))
        for key, (span, label, score) in entity_mentions(doc).items()
    }


def _entity_iri(span: Span, label: str, link: Optional[dict], mapping: RDFMapping):
    """The KB IRI the mention links to (its link record or ``ent.kb_id_``), else a minted one."""
    if link and link.get("iri"):
        return URIRef(link["iri"]), link
    if span.kb_id_:
        return URIRef(span.kb_id_), link
    return mapping.entity_iri(span.text, label), link


def argument_iri(span: Span, entity_iris: dict, mapping: RDFMapping) -> URIRef:
    """The IRI of a relation/attribute argument; a span outside doc.ents is minted untyped."""
    iri = entity_iris.get((span.start, span.end))
    return iri if iri is not None else mapping.entity_iri(span.text, None)


def _span(doc: Doc, offsets: List[int]) -> Span:
    start, end = offsets
    return doc[start:end]
