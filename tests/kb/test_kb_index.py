"""Alias index: normalisation, exact and fuzzy candidates, priors for shared aliases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgx_spacy.kb import AliasIndex, StringTable, build_kb, normalise

EX = "http://example.org/"


@pytest.fixture(scope="module")
def kb(ttl_file):
    return build_kb([ttl_file])


@pytest.mark.parametrize(
    "text, key",
    [
        ("Zürich", "zurich"),
        ("São Paulo", "sao paulo"),
        ("  Łódź—Poland ", "lodz poland"),
        ("北京", "北京"),
        ("🍕 Pizza!", "🍕 pizza"),
        ("AT&T", "at t"),
        ("U.S.", "us"),
        ("O’Brien", "obrien"),
        ("Jean-Paul  Sartre", "jean paul sartre"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),
        ("İstanbul", "istanbul"),
        ("C++", "c++"),
        ("...", ""),
    ],
)
def test_normalise(text, key):
    assert normalise(text) == key


@given(st.text())
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


def iris(candidates):
    return [c.iri for c in candidates]


@pytest.mark.parametrize(
    "mention, iri",
    [
        ("Zurich", "Zurich"), ("ZÜRICH", "Zurich"), ("zurich", "Zurich"),
        ("Sao Paulo", "SaoPaulo"), ("北京", "Beijing"), ("🍕 pizza", "Pizza"),
        ("at&t", "ATT"), ("AT & T", "ATT"), ("US", "USA"), ("u.s.", "USA"), ("usa", "USA"),
        ("IPHONE", "iPhone"), ("u.k.", "UK"),
    ],
)
def test_normalised_match(kb, mention, iri):
    best = kb.candidates(mention)[0]
    assert (best.iri, best.score, best.normalised) == (EX + iri, 1.0, True)
    assert best.exact == (mention in kb.labels_of(best.entity))


@pytest.mark.parametrize(
    "mention, iri",
    [
        ("Barak Obama", "Obama"), ("Lodnon", "London"), ("Zurih", "Zurich"),
        ("Sao Paolo", "SaoPaulo"), ("Untied States", "USA"), ("Swizerland", "Switzerland"),
        ("Pairs Hilton", "ParisHilton"),
    ],
)
def test_fuzzy_match_tolerates_typos(kb, mention, iri):
    best = kb.candidates(mention)[0]
    assert best.iri == EX + iri
    assert 0 < best.score < 1 and not best.normalised and not best.exact
    assert kb.candidates(mention, fuzzy=False) == []


def test_shared_alias_gives_every_entity_ranked_by_prior(kb):
    paris, hilton = kb.candidates("Paris", k=2)
    # rdfs:label (weight 1) beats skos:altLabel (0.5): priors 2/3 and 1/3.
    assert (paris.iri, hilton.iri) == (EX + "Paris", EX + "ParisHilton")
    assert paris.score == hilton.score == 1.0
    assert paris.prior == pytest.approx(2 / 3) and hilton.prior == pytest.approx(1 / 3)
    assert (paris.exact, hilton.exact) == (True, True)
    assert (paris.weight, hilton.weight) == (1.0, 0.5)
    # With room for more, fuzzy matches follow the exact ones, each entity once.
    more = kb.candidates("Paris", k=5)
    assert iris(more[:2]) == [EX + "Paris", EX + "ParisHilton"]
    assert len(set(iris(more))) == len(more)
    assert all(c.score < 1 for c in more[2:])


def test_top_k_is_sorted_and_bounded(kb):
    for mention in ("Paris", "Lodnon", "United", "xyz"):
        found = kb.candidates(mention, k=3)
        assert len(found) <= 3
        keys = [(-c.score, -c.prior, c.entity) for c in found]
        assert keys == sorted(keys)
    assert kb.candidates("!!!") == [] and kb.candidates("Paris", k=0) == []


def test_alias_weights_add_up():
    index = AliasIndex.build(["a", "a", "a", "b"], np.array([0, 0, 1, 1]), np.array([1.0, 0.5, 0.5, 1.0]))
    entities, priors, weights = index.entities_of(index.find("a"))
    assert entities.tolist() == [0, 1]
    assert weights.tolist() == [1.5, 0.5] and priors.tolist() == [0.75, 0.25]
    assert index.find("c") is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30))
def test_every_alias_finds_its_entities(labels):
    aliases = [normalise(label) for label in labels]
    kept = [i for i, alias in enumerate(aliases) if alias]
    index = AliasIndex.build([aliases[i] for i in kept], np.array(kept), np.ones(len(kept)))
    for i in kept:
        found = index.search(labels[i], k=len(labels))
        best = [m.entity for m in found if m.similarity == 1.0 and m.normalised]
        assert i in best
        assert sorted(best) == sorted(j for j in kept if aliases[j] == aliases[i])


def test_string_table():
    words = sorted(["", "a", "é", "北京", "🍕", "zz"])
    table = StringTable.from_strings(words)
    assert list(table) == words and table[-1] == "🍕"
    assert [table.find(w) for w in words] == list(range(len(words)))
    assert table.find("b") is None
    with pytest.raises(IndexError):
        table[len(words)]
