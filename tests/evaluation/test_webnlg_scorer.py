"""Official WebNLG+ 2020 Text-to-RDF scores: normalisation, element matches, pairing, totals."""

import itertools
import random

import pytest

from kgx_spacy.errors import KgxInputError
from kgx_spacy.evaluation.webnlg import SCHEMES, _first_best_pairing, read_triple_sets, score

TRANE = [("Trane", "foundationPlace", "La_Crosse_Wisconsin"), ("Trane", "location", "Ireland")]


def f1(scores):
    return {scheme: round(scores[f"triples_f1_{scheme}"], 4) for scheme in SCHEMES}


def test_identical_triples_score_one_everywhere():
    scores = score([TRANE, TRANE[:1]], [TRANE, TRANE[:1]])
    for scheme in SCHEMES:
        assert scores[f"triples_p_{scheme}"] == scores[f"triples_r_{scheme}"] == 1.0
        assert scores[f"triples_f1_{scheme}"] == 1.0
    assert (scores["texts"], scores["candidate_triples"], scores["reference_triples"]) == (2, 3, 3)


def test_no_candidates_recall_nothing():
    scores = score([[]], [TRANE])
    assert all(scores[f"triples_{m}_{s}"] == 0.0 for m in ("p", "r", "f1") for s in SCHEMES)


def test_case_underscores_camel_case_and_unit_do_not_matter():
    refs = [[("Aarhus_Airport", "cityServed", "Aarhus"), ("ALCO_RS-3", "length", "17.8 (metres)")]]
    cands = [[("aarhus airport", "City_served", "AARHUS"), ("alco rs-3", "length", "17.8")]]
    assert set(f1(score(cands, refs)).values()) == {1.0}


def test_partly_overlapping_object_gets_half_credit_in_partial_only():
    scores = score([[("Trane", "foundationPlace", "La_Crosse")]], [TRANE[:1]])
    # subject and predicate exact; the object's block "la crosse" overlaps "la crosse wisconsin":
    # exact/strict 2 of 3 elements, partial (2 + 1/2) of 3, ent_type (same slot, overlap) 3 of 3
    assert f1(scores) == {"exact": 0.6667, "partial": 0.8333, "strict": 0.6667, "ent_type": 1.0}


def test_one_word_candidate_gets_no_partial_credit():
    # nervaluate 0.1.7 tests overlap on [start, end): a one-word block overlaps nothing
    scores = score([[("Trane", "foundationPlace", "Wisconsin")]], [TRANE[:1]])
    assert set(f1(scores).values()) == {0.6667}


def test_swapped_subject_and_object_are_exact_but_not_strict():
    scores = score([[("Ireland", "location", "Trane")]], [TRANE[1:]])
    # the crossed blocks keep their boundaries (exact, partial) but not their slot (strict,
    # ent_type): 1 of 3 elements, the predicate, is in its slot
    assert f1(scores) == {"exact": 1.0, "partial": 1.0, "strict": 0.3333, "ent_type": 0.3333}


def test_after_a_swap_the_predicate_is_not_compared():
    # the script scores the predicate from the crossed object's comparison
    scores = score([[("Ireland", "country", "Trane")]], [TRANE[1:]])
    assert f1(scores)["exact"] == 1.0


def test_identical_quoted_object_is_only_a_partial_match():
    # the candidate keeps the quote tokens `` and '' that the reference drops, so its object
    # block is 2 words wider than the reference's: 2 exact elements of 3, the third overlapping
    triple = ("Aarhus_Airport", "cityServed", '"Aarhus, Denmark"')
    assert f1(score([[triple]], [[triple]])) == {
        "exact": 0.6667, "partial": 0.8333, "strict": 0.6667, "ent_type": 1.0,
    }


def test_hand_computed_pairing_and_macro_average():
    cands = [
        [
            ("Trane", "location", "Ireland"),  # C1
            ("Trane", "foundationPlace", "City_Crosse_Wisconsin"),  # C2
            ("Paris", "capital", "France"),  # C3
        ],
        [],
    ]
    refs = [TRANE, [("Aarhus_Airport", "cityServed", "Aarhus")]]  # R1, R2; R3
    # Text 1 pads the references with an empty R0. Mean F1 of the 4 categories per pair:
    #   C1-R2: all 3 elements exact                                         → 1
    #   C1-R1, C2-R2: only the subject matches (1 correct, 2 missed, 2 spurious) → 1/3
    #   C2-R1: object blocks "crosse wisconsin" (overlaps "la crosse wisconsin") and "city"
    #     (unaligned, spurious), so 4 candidate blocks against 3 reference elements:
    #     exact, strict: P 2/4, R 2/3, F1 4/7; partial: P 2.5/4, R 2.5/3, F1 5/7;
    #     ent_type: P 3/4, R 3/3, F1 6/7                                  → 19/28
    #   C3-anything, anything-R0: 0
    # Best pairing: C1-R2, C2-R1, C3-R0 (1 + 19/28 > 1/3 + 1/3). Text 2 pads the candidates:
    # its one pair scores 0. Totals are means over the 4 chosen pairs, e.g. exact
    # P (1 + 1/2) / 4 = 0.375, R (1 + 2/3) / 4 = 0.4167, F1 (1 + 4/7) / 4 = 0.3929 (not the
    # harmonic mean of P and R, 0.3947).
    scores = score(cands, refs)
    expected = {
        "exact": (0.375, 0.4167, 0.3929), "partial": (0.4062, 0.4583, 0.4286),
        "strict": (0.375, 0.4167, 0.3929), "ent_type": (0.4375, 0.5, 0.4643),
    }
    for scheme, values in expected.items():
        got = tuple(scores[f"triples_{m}_{scheme}"] for m in ("p", "r", "f1"))
        assert got == pytest.approx(values, abs=1e-4), scheme
    assert (scores["texts"], scores["candidate_triples"], scores["reference_triples"]) == (2, 3, 3)


def test_ties_go_to_the_first_best_permutation_as_in_the_script():
    rng = random.Random(1)
    for _ in range(300):
        n = rng.randint(1, 6)
        weights = [[rng.choice([0.0, 0.5, 1.0]) for _ in range(n)] for _ in range(n)]
        orders = itertools.permutations(range(n))
        # max keeps the first of equal sums, as the script's loop does
        first_best = max(orders, key=lambda p: sum(weights[i][j] for i, j in enumerate(p)))
        assert _first_best_pairing(weights) == list(first_best)


def test_pairing_is_not_exponential():
    rng = random.Random(0)
    words = "north south lake river saint new old city county royal united grand fort port".split()
    predicates = ["birthPlace", "cityServed", "leaderName", "runwayLength", "location", "capital"]

    def triple(k):
        subject = f"{rng.choice(words).title()}_{rng.choice(words).title()}_{k}"
        obj = "_".join(rng.choice(words).title() for _ in range(rng.randint(1, 3)))
        return subject, rng.choice(predicates), obj

    # a test set's size in shuffled copies: each text needs its right pairing back
    refs = [[triple(k) for k in range(rng.randint(3, 7))] for _ in range(2155)]
    scores = score([rng.sample(r, len(r)) for r in refs], refs)
    assert set(f1(scores).values()) == {1.0}
    # 12 candidates: 12! ≈ 4.8e8 orders for the script
    twelve = [triple(k) for k in range(12)]
    assert score([rng.sample(twelve, 12)], [twelve])["triples_f1_strict"] == 1.0


def test_texts_must_line_up():
    with pytest.raises(ValueError):
        score([[]], [TRANE, TRANE])


def test_read_triple_sets_in_the_challenge_format(tmp_path):
    """One triple list per entry, in order; a bare '&' (as in two published submissions)
    is the character; a <gtriple> that is not 'S | p | O' names its entry."""
    path = tmp_path / "primary.xml"
    path.write_text(
        "<benchmark><entries>"
        "<entry><generatedtripleset><gtriple>College_of_William_&_Mary | city | Williamsburg</gtriple>"
        "<gtriple>A &amp; B | p | 1</gtriple></generatedtripleset></entry>"
        "<entry><generatedtripleset></generatedtripleset></entry>"
        "</entries></benchmark>",
        encoding="utf-8",
    )
    assert read_triple_sets(path) == [
        [("College_of_William_&_Mary", "city", "Williamsburg"), ("A & B", "p", "1")], [],
    ]
    path.write_text("<benchmark><entries><entry><gtriple>a | b</gtriple></entry></entries></benchmark>")
    with pytest.raises(KgxInputError, match="entry 1"):
        read_triple_sets(path)
    path.write_text("<benchmark><entries><entry>")
    with pytest.raises(KgxInputError, match="line 1"):
        read_triple_sets(path)
