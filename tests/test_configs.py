"""Every file in configs/ loads, resolves and initialises (tiny BERT in place of MiniLM)."""

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.cfg"))


EX = "http://example.org/"
KB_TURTLE = f"""\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{EX}JohnSmith> rdfs:label "john smith" ; <{EX}worksFor> <{EX}Acme> .
<{EX}Acme> rdfs:label "acme corp" ; <{EX}basedIn> <{EX}Paris> .
<{EX}Paris> rdfs:label "paris" .
"""


def tiny_examples(nlp):
    """One sentence with every kind of gold annotation the components learn from."""
    words = "john smith , born 1943 , works for acme corp in paris .".split()
    ref = Doc(nlp.vocab, words=words)
    ref.ents = [
        Span(ref, 0, 2, "PER", kb_id=EX + "JohnSmith"), Span(ref, 8, 10, "ORG", kb_id=EX + "Acme"),
        Span(ref, 11, 12, "LOC", kb_id=EX + "Paris"),
    ]
    ref._.kgx_relations = [{"head": [0, 2], "tail": [8, 10], "label": "Work_For", "score": 1.0}]
    ref._.kgx_attributes = [{"entity": [0, 2], "value": [4, 5], "attribute": "DATE_OF_BIRTH", "score": 1.0, "lexical": "1943", "datatype": None}]
    return [Example(Doc(nlp.vocab, words=words), ref)]


@pytest.fixture(scope="module")
def ner_model(tiny_bert, tmp_path_factory) -> str:
    """A trained-once transformer + kgx_ner pipeline, for configs that source from one."""
    config = load_config(CONFIGS[0].with_name("ner_trf.cfg"))
    config["paths"]["encoder"] = tiny_bert
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    nlp.initialize(get_examples=lambda: examples)
    path = tmp_path_factory.mktemp("ner") / "model"
    nlp.to_disk(path)
    return str(path)


@pytest.fixture(scope="module")
def kb_and_kge(tmp_path_factory) -> dict:
    """A three-entity KB and a KGE trained on it, for configs that link."""
    from kgx_spacy.kb import build_kb
    from kgx_spacy.kge import KGEModel, TrainingConfig, TriplesFactory, read_triples, train

    folder = tmp_path_factory.mktemp("kg")
    (folder / "kg.ttl").write_text(KB_TURTLE, encoding="utf-8")
    build_kb([folder / "kg.ttl"]).to_disk(folder / "kb")
    triples = read_triples(folder / "kg.ttl")
    factory = TriplesFactory.from_triples(triples)
    model = KGEModel("distmult", factory, dim=8)
    train(model, factory.map(triples), TrainingConfig(epochs=2, batch_size=4))
    model.to_disk(folder / "kge")
    return {"kb": str(folder / "kb"), "kge": str(folder / "kge")}


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_loads_and_initialises(path, tiny_bert, request):
    config = load_config(path)
    if "encoder" in config["paths"]:
        config["paths"]["encoder"] = tiny_bert
    if "ner_model" in config["paths"]:
        config["paths"]["ner_model"] = request.getfixturevalue("ner_model")
    if "kb" in config["paths"]:
        config["paths"].update(request.getfixturevalue("kb_and_kge"))
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    with nlp.select_pipes(disable=config["training"]["frozen_components"]):  # as spacy train does
        optimizer = nlp.initialize(get_examples=lambda: examples)
    if "kgx_entity_linker" in nlp.pipe_names:  # label vectors come from the real encoder, sourced or not
        assert (abs(nlp.get_pipe("kgx_entity_linker").graph.text_vectors).sum(1) > 0).all()
    nlp.update(examples, sgd=optimizer)
    text = "mary jones lives in london ."
    doc = nlp(text)
    assert doc.text == text
    if nlp.lang == "en":
        assert len(doc) == 6


def test_default_pipeline_states_what_it_was_taught(tiny_bert, kb_and_kge):
    """Trained on a labelled text, the default pipeline's RDF for that text states the
    relation and the typed attribute it was taught, between the linked entities."""
    from rdflib import Literal, URIRef

    config = load_config(CONFIGS[0].with_name("default_en.cfg"))
    config["paths"]["encoder"] = tiny_bert
    config["paths"].update(kb_and_kge)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    examples = tiny_examples(nlp)
    optimizer = nlp.initialize(get_examples=lambda: examples)
    optimizer.learn_rate = 1e-3
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    doc = nlp(examples[0].reference.text)
    relations = {(tuple(r["head"]), tuple(r["tail"]), r["label"]) for r in doc._.kgx_relations}
    assert ((0, 2), (8, 10), "Work_For") in relations
    attributes = {(tuple(a["entity"]), tuple(a["value"]), a["attribute"]) for a in doc._.kgx_attributes}
    assert ((0, 2), (4, 5), "DATE_OF_BIRTH") in attributes
    vocabulary = nlp.get_pipe("kgx_rdf").mapping.vocabulary
    stated = {(s, p, o) for s, p, o, _ in doc._.rdf.quads((None, None, None, None))}  # the document's graph
    assert (URIRef(EX + "JohnSmith"), URIRef(vocabulary + "Work_For"), URIRef(EX + "Acme")) in stated
    assert (URIRef(EX + "JohnSmith"), URIRef(vocabulary + "DATE_OF_BIRTH"), Literal(1943)) in stated
