"""KnowledgeNet's span_overlap rule: overlap of both spans, same property, annotated only."""

import spacy

from kgx_spacy.corpora.knowledgenet import span_overlap_score
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
