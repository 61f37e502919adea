"""Calibration: Platt scaling, F1-best thresholds, ECE, and the whole loop on a pipeline."""

import numpy
from spacy.training import Example

from kgx_spacy.relations.calibrate import best_threshold, calibrate, expected_calibration_error, fit_platt


def test_platt_recovers_planted_scale_and_shift():
    rng = numpy.random.default_rng(0)
    logits = rng.normal(0, 3, size=20000)
    truth = (rng.random(20000) < 1 / (1 + numpy.exp(-(0.5 * logits - 1.0)))).astype(float)
    a, b = fit_platt(logits, truth)
    assert abs(a - 0.5) < 0.05 and abs(b + 1.0) < 0.1


def test_platt_keeps_identity_without_both_classes():
    assert fit_platt(numpy.array([1.0, 2.0]), numpy.array([0.0, 0.0])) == (1.0, 0.0)


def test_best_threshold_counts_unreachable_gold():
    probs = numpy.array([0.9, 0.8, 0.4, 0.3])
    truth = numpy.array([1.0, 1.0, 0.0, 1.0])
    # Taking the top two: TP 2, FP 0, FN (4 gold − 2) = 2 → F1 2/3; top four: TP 3, FP 1, FN 1 → 3/4.
    assert best_threshold(probs, truth, n_gold=4) < 0.3
    assert 0.4 < best_threshold(probs, truth, n_gold=2) < 0.8


def test_ece_is_zero_when_calibrated_and_large_when_not():
    rng = numpy.random.default_rng(1)
    probs = rng.random(50000)
    truth = (rng.random(50000) < probs).astype(float)
    assert expected_calibration_error(probs, truth) < 0.01
    assert expected_calibration_error(numpy.full(1000, 0.9), numpy.zeros(1000)) > 0.85


def test_calibrate_a_trained_pipeline(trained_relations):
    nlp, examples = trained_relations
    dev = [Example(nlp.make_doc(eg.reference.text), eg.reference) for eg in examples]
    result = calibrate(nlp, dev)
    pipe = nlp.get_pipe("kgx_relation_classifier")
    assert set(result.thresholds) == set(pipe.labels) == set(pipe.cfg["thresholds"])
    assert result.ece_after <= result.ece_before + 1e-6
    assert nlp.evaluate(dev)["rel_micro_f"] == 1.0


def test_calibrate_with_type_constraints_sees_only_allowed_pairs(trained_relations):
    nlp, examples = trained_relations
    dev = [Example(nlp.make_doc(eg.reference.text), eg.reference) for eg in examples]
    pipe = nlp.get_pipe("kgx_relation_classifier")
    pipe.cfg["constrain_types"] = True
    try:
        result = calibrate(nlp, dev)
        assert set(result.thresholds) == set(pipe.labels)
        assert nlp.evaluate(dev)["rel_micro_f"] == 1.0
        for doc in nlp.pipe([eg.reference.text for eg in examples]):
            types = {(e.start, e.end): e.label_ for e in doc.ents}
            for rel in doc._.kgx_relations:
                pair = [types[tuple(rel["head"])], types[tuple(rel["tail"])]]
                assert pair in pipe.cfg["signatures"][rel["label"]]
    finally:
        pipe.cfg["constrain_types"] = False
