"""The kgx vocabulary: a closed namespace, so a typo such as ``KGX.confidenc`` raises."""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class KGX(DefinedNamespace):
    """Terms kgx-spacy writes beside PROV-O and RDF reification."""

    _fail = True
    _NS = Namespace("https://w3id.org/kgx-spacy/vocab#")

    Document: URIRef  # a text that RDF was extracted from; its IRI names its named graph
    text: URIRef  # the document's full text
    startChar: URIRef  # character offset where the evidence for a statement starts
    endChar: URIRef  # character offset where the evidence ends (exclusive)
    component: URIRef  # the pipeline component that produced a statement ("gold" for annotations)
    confidence: URIRef  # the producing component's score in [0, 1], xsd:double
    runId: URIRef  # identifier of the extraction run
    nil: URIRef  # true when a mention matched nothing in the KB and its IRI was minted
    # kgx compare: the evidence of a fact extracted from several documents
    documentCount: URIRef  # how many documents state the fact, xsd:integer
    plausibility: URIRef  # the KG embeddings' percentile of the triple in [0, 1], xsd:double
    rankScore: URIRef  # the ranking's score of the fact in [0, 1], xsd:double
    conflictsWith: URIRef  # an object the KG holds for the same subject and functional predicate
