"""KnowledgeNet's rules: span_overlap (overlap of both spans, same property, annotated
only) and uri (same subject IRI, property and object IRI; both ends linked)."""

import spacy

from kgx_spacy.corpora.knowledgenet import link_score, span_overlap_score
from kgx_spacy.extensions import install_extensions

TEXT = "Steve Jobs founded Apple in Cupertino on April 1 , 1976 ."


def make(relations=(), attributes=(), annotated=()):
    install_extensions()
    doc = spacy.blank("en").make_doc(TEXT)
    doc._.kgx_relations = [{"head": list(h), "tail": list(t), "label": label, "score": 1.0} for h, t, label in relations]
    doc._.kgx_attributes = [{"entity": list(e), "value": list(v), "attribute": a, "score": 1.0} for e, v, a in attributes]
    doc._.kgx_annotated_labels = list(annotated)
    return doc


def test_overlapping_spans_match_and_exact_is_not_required():
    gold = make(relations=[((3, 4), (0, 2), "FOUNDED_BY")], attributes=[((3, 4), (7, 11), "DATE_FOUNDED")],
                annotated=["FOUNDED_BY", "DATE_FOUNDED"])
    # "Jobs" overlaps "Steve Jobs"; "1976" overlaps "April 1 , 1976".
    pred = make(relations=[((3, 4), (1, 2), "FOUNDED_BY")], attributes=[((3, 4), (10, 11), "DATE_FOUNDED")])
    assert span_overlap_score([(pred, gold)])["text_f1"] == 1.0


def test_wrong_property_or_disjoint_span_fails():
    gold = make(relations=[((3, 4), (0, 2), "FOUNDED_BY")], annotated=["FOUNDED_BY", "HEADQUARTERS"])
    pred = make(relations=[((3, 4), (5, 6), "FOUNDED_BY"), ((3, 4), (0, 2), "HEADQUARTERS")])
    scores = span_overlap_score([(pred, gold)])
    assert scores["text_p"] == 0.0 and scores["text_r"] == 0.0 and scores["text_f1"] == 0.0


def test_unannotated_properties_are_ignored():
    gold = make(relations=[((3, 4), (0, 2), "FOUNDED_BY")], annotated=["FOUNDED_BY"])
    pred = make(relations=[((3, 4), (0, 2), "FOUNDED_BY"), ((0, 2), (5, 6), "PLACE_OF_RESIDENCE")])
    scores = span_overlap_score([(pred, gold)])
    assert scores["text_p"] == 1.0 and scores["text_r"] == 1.0
    assert set(scores["text_f1_per_property"]) == {"FOUNDED_BY"}


WD = "http://www.wikidata.org/entity/"
ENTS = {(0, 2): "Q19837", (3, 4): "Q312", (5, 6): "Q47265"}  # Steve Jobs, Apple, Cupertino


def linked(relations=(), annotated=(), iris=ENTS, nil=()):
    """A Doc whose entities are linked to ``iris`` (those in ``nil`` as minted NIL IRIs)."""
    doc = make(relations=relations, annotated=annotated)
    doc.ents = [doc.char_span(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), "ENT", kb_id=WD + q) for (s, e), q in iris.items()]
    doc._.kgx_links = [{"start": s, "end": e, "iri": WD + q, "score": 1.0, "nil": (s, e) in nil} for (s, e), q in iris.items()]
    return doc


def test_link_rule_compares_iris_not_spans():
    gold = linked([((3, 4), (0, 2), "FOUNDED_BY"), ((3, 4), (5, 6), "HEADQUARTERS")], ["FOUNDED_BY", "HEADQUARTERS"])
    # the same facts stated between other mentions of the same entities match
    pred = linked([((3, 4), (0, 1), "FOUNDED_BY"), ((3, 4), (5, 6), "HEADQUARTERS")],
                  iris={(0, 1): "Q19837", (3, 4): "Q312", (5, 6): "Q47265"})
    scores = link_score([(pred, gold)])
    assert (scores["link_tp"], scores["link_fp"], scores["link_fn"]) == (2, 0, 0)
    # a wrong IRI, a NIL end and an unannotated property: one miss each side, one ignored
    pred = linked([((3, 4), (0, 2), "FOUNDED_BY"), ((3, 4), (5, 6), "HEADQUARTERS"), ((0, 2), (5, 6), "PLACE_OF_BIRTH")],
                  iris={(0, 2): "Q1", (3, 4): "Q312", (5, 6): "Q47265"}, nil={(5, 6)})
    scores = link_score([(pred, gold)])
    assert (scores["link_tp"], scores["link_fp"], scores["link_fn"]) == (0, 1, 2)
    assert scores["link_f1"] == 0.0


def test_link_rule_counts_a_fact_once_per_passage():
    gold = linked([((3, 4), (0, 2), "FOUNDED_BY")], ["FOUNDED_BY"])
    # two mentions linked to one entity: one fact
    pred = linked([((3, 4), (0, 2), "FOUNDED_BY"), ((3, 4), (5, 6), "FOUNDED_BY")],
                  iris={(0, 2): "Q19837", (3, 4): "Q312", (5, 6): "Q19837"})
    scores = link_score([(pred, gold)])
    assert (scores["link_tp"], scores["link_fp"], scores["link_fn"]) == (1, 0, 0)
