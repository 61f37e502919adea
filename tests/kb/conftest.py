"""A small Turtle KB with tricky labels, and the same graph in every format the KB reads."""

import pyoxigraph as ox
import pytest

TURTLE = """\
@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

ex:Zurich a ex:City ; rdfs:label "Zürich"@de, "Zurich"@en ; ex:locatedIn ex:Switzerland .
ex:SaoPaulo a ex:City ; rdfs:label "São Paulo"@pt ; skos:altLabel "Sampa" .
ex:Beijing a ex:City ; rdfs:label "北京"@zh, "Beijing"@en-GB .
ex:Pizza a ex:Food ; rdfs:label "🍕 Pizza" .
ex:ATT a ex:Company ; schema:name "AT&T" .
ex:USA a ex:Country ; skos:prefLabel "United States"@en ; skos:altLabel "U.S."@en, "USA" .
ex:Obama a ex:Person, foaf:Person ; foaf:name "Barack Obama" ;
    ex:bornIn ex:Honolulu ; ex:presidentOf ex:USA .
ex:London a ex:City ; rdfs:label "London"@en, "Londres"@fr ; ex:capitalOf ex:UK .
ex:UK skos:prefLabel "United Kingdom" ; skos:altLabel "UK", "U.K." .
ex:Paris a ex:City ; rdfs:label "Paris" ; ex:capitalOf ex:France .
ex:ParisHilton a ex:Person ; rdfs:label "Paris Hilton" ; skos:altLabel "Paris" .
ex:France rdfs:label "France" .
ex:Switzerland rdfs:label "Switzerland"@en .
ex:iPhone rdfs:label "iPhone" .
ex:Obama ex:age 64 ; ex:note "not a label" .
ex:NotAnEntity ex:note "only a literal" .
_:b rdfs:label "a blank node" ; ex:about ex:Paris .
"""


@pytest.fixture(scope="session")
def ttl_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("kb") / "small.ttl"
    path.write_text(TURTLE, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def format_files(ttl_file):
    """The Turtle graph as N-Triples, N-Quads (split over graphs, one triple in two),
    RDF/XML (written by rdflib) and JSON-LD; each value: the file."""
    from rdflib import Graph

    triples = [q.triple for q in ox.parse(path=str(ttl_file))]
    folder = ttl_file.parent
    files = {"ttl": ttl_file}
    files["nt"] = folder / "small.nt"
    ox.serialize(triples, str(files["nt"]), ox.RdfFormat.N_TRIPLES)
    graphs = [ox.NamedNode("http://example.org/g1"), ox.NamedNode("http://example.org/g2")]
    quads = [ox.Quad(*t, graphs[i % 2]) for i, t in enumerate(triples)]
    quads.append(ox.Quad(*triples[0], graphs[1]))  # the union holds it once
    quads.append(ox.Quad(*triples[1], ox.DefaultGraph()))
    files["nq"] = folder / "small.nq"
    ox.serialize(quads, str(files["nq"]), ox.RdfFormat.N_QUADS)
    files["xml"] = folder / "small.rdf"
    Graph().parse(ttl_file, format="turtle").serialize(files["xml"], format="xml")
    files["jsonld"] = folder / "small.jsonld"
    ox.serialize(triples, str(files["jsonld"]), ox.RdfFormat.JSON_LD)
    return files
