"""The entity-to-text aligner: exact, variant and fuzzy matches, never overlapping."""

import random

import pytest
import spacy

from kgx_spacy.supervision.align import (
    Aligner,
    Alignment,
    EntityLabels,
    align,
    label_variants,
)

NLP = spacy.blank("en")


def spans(text, entities, **settings):
    """(matched text, iri, kind) of each alignment, by start."""
    doc = NLP(text)
    return [(doc[a.start : a.end].text, a.iri, a.kind) for a in align(doc, entities, **settings)]


def test_exact_match_gives_token_offsets_and_full_score():
    doc = NLP("Aarhus Airport is located in Tirstrup, Denmark.")
    found = align(doc, [("ex:airport", "Aarhus Airport"), ("ex:dk", "Denmark")])
    assert found == [
        Alignment(0, 2, "ex:airport", 1.0, "exact"),
        Alignment(7, 8, "ex:dk", 1.0, "exact"),
    ]


def test_case_accents_and_punctuation_do_not_matter():
    text = "SAO PAULO lies far from Dona Ana County, New Mexico, says the U.S. Navy."
    entities = [
        ("ex:sp", "São Paulo"),
        ("ex:dona", "Doña Ana County, New Mexico"),
        ("ex:navy", "US Navy"),
    ]
    assert spans(text, entities) == [
        ("SAO PAULO", "ex:sp", "exact"),
        ("Dona Ana County, New Mexico", "ex:dona", "exact"),
        ("U.S. Navy", "ex:navy", "exact"),
    ]


def test_possessive_and_ampersand_spellings_are_exact():
    text = "Vermont's 3rd congressional district is near the College of William and Mary."
    entities = [
        ("ex:district", "Vermont's 3rd congressional district"),
        ("ex:college", "College of William & Mary"),
    ]
    assert spans(text, entities) == [
        ("Vermont's 3rd congressional district", "ex:district", "exact"),
        ("College of William and Mary", "ex:college", "exact"),
    ]


def test_parenthetical_comma_and_suffix_variants():
    text = "Turn Me On was recorded in Anaheim by Danish singers."
    entities = [
        ("ex:album", "Turn Me On (album)"),
        ("ex:anaheim", "Anaheim, California"),
        ("ex:danish", "Danish language"),
    ]
    assert spans(text, entities) == [
        ("Turn Me On", "ex:album", "variant"),
        ("Anaheim", "ex:anaheim", "variant"),
        ("Danish", "ex:danish", "variant"),
    ]


def test_label_variants():
    assert label_variants("Turn Me On (album)") == ("Turn Me On",)
    assert label_variants("Anaheim, California") == ("Anaheim",)
    assert label_variants("Danish language") == ("Danish",)
    assert label_variants("Native Americans in the United States") == ("Native Americans",)
    assert label_variants("The Velvet Underground") == ("Velvet Underground",)
    assert label_variants("It (novel)") == ()  # "It" is too short to look for
    assert label_variants("Denmark") == ()


def test_acronyms_must_be_written_in_capitals():
    entities = [("ex:us", "United States")]
    assert spans("He was born in the U.S. in 1930.", entities) == [("U.S.", "ex:us", "variant")]
    assert spans("Let us go.", entities) == []
    assert spans("Let us go.", entities, acronyms=False) == []
    assert spans("Born in the US.", entities, acronyms=False) == []


def test_fuzzy_typo_match_with_its_similarity():
    doc = NLP("Aarhus is led by Jacob Bundsgard.")
    (found,) = align(doc, [("ex:mayor", "Jacob Bundsgaard")])
    assert (doc[found.start : found.end].text, found.kind) == ("Jacob Bundsgard", "fuzzy")
    # " jacob bundsgaard " and " jacob bundsgard " share 14 of 16 and 15 trigrams.
    assert found.score == pytest.approx(28 / 31)
    assert align(doc, [("ex:mayor", "Jacob Bundsgaard")], threshold=0.95) == []


def test_fuzzy_plural_and_threshold():
    doc = NLP("The dish contains sweet potatoes.")
    (found,) = align(doc, [("ex:potato", "Sweet potato")])
    assert (found.start, found.end, found.kind) == (3, 5, "fuzzy")
    assert found.score == pytest.approx(0.8462, abs=1e-4)
    assert align(doc, [("ex:potato", "Sweet potato")], threshold=0.9) == []
    assert align(doc, [("ex:potato", "Sweet potato")], fuzzy=False) == []


def test_fuzzy_windows_keep_the_words_in_order():
    # "club is Shabab Al-Ordon" shares the words of the label but not its order.
    text = "Their club is Shabab Al-Ordon."
    found = spans(text, [("ex:club", "Shabab Al-Ordon Club")])
    assert found == [("Shabab Al-Ordon", "ex:club", "fuzzy")]


def test_no_overlaps_and_longest_wins():
    text = "Aarhus Airport serves the city of Aarhus."
    entities = [("ex:airport", "Aarhus Airport"), ("ex:city", "Aarhus")]
    assert spans(text, entities) == [
        ("Aarhus Airport", "ex:airport", "exact"),
        ("Aarhus", "ex:city", "exact"),
    ]
    # A longer variant beats a shorter exact match of another entity inside it.
    found = spans("Turn Me On is an album.", [("ex:album", "Turn Me On (album)"), ("ex:me", "Me")])
    assert found == [("Turn Me On", "ex:album", "variant")]


def test_spans_never_overlap_and_each_entity_is_aligned_once():
    doc = NLP("New York City is in New York, and New York City is big.")
    entities = [("ex:nyc", "New York City"), ("ex:ny", "New York"), ("ex:york", "York")]
    found = align(doc, entities)
    assert [(a.start, a.end, a.iri) for a in found] == [
        (0, 3, "ex:nyc"), (5, 7, "ex:ny"), (10, 11, "ex:york")
    ]
    everywhere = align(doc, entities, all_mentions=True)
    assert [(a.start, a.end, a.iri) for a in everywhere] == [
        (0, 3, "ex:nyc"), (5, 7, "ex:ny"), (9, 12, "ex:nyc")
    ]
    for found in (found, everywhere):
        taken = [i for a in found for i in range(a.start, a.end)]
        assert len(taken) == len(set(taken))


def test_closing_bracket_is_kept_with_the_span():
    text = "Ardmore Airport (New Zealand) is 34 metres above sea level."
    assert spans(text, [("ex:ardmore", "Ardmore Airport (New Zealand)")]) == [
        ("Ardmore Airport (New Zealand)", "ex:ardmore", "exact")
    ]


def test_deterministic_whatever_the_order_of_entities():
    doc = NLP("Paris and Tirstrupp and Paris, Texas and the Danish language.")
    entities = [
        EntityLabels("ex:paris-fr", "Paris"),
        EntityLabels("ex:paris-tx", ["Paris, Texas", "Paris"]),
        EntityLabels("ex:tirstrup", "Tirstrup"),
        EntityLabels("ex:danish", "Danish"),
    ]
    expected = align(doc, entities)
    assert [(doc[a.start : a.end].text, a.iri) for a in expected] == [
        ("Paris", "ex:paris-fr"),
        ("Tirstrupp", "ex:tirstrup"),
        ("Paris, Texas", "ex:paris-tx"),
        ("Danish", "ex:danish"),
    ]
    rng = random.Random(0)
    for _ in range(5):
        shuffled = entities[:]
        rng.shuffle(shuffled)
        assert align(doc, shuffled) == expected
        everywhere = Aligner(entities)(doc, all_mentions=True)
        assert Aligner(shuffled)(doc, all_mentions=True) == everywhere


def test_same_name_goes_to_the_smallest_iri_first():
    doc = NLP("Paris is not Paris.")
    found = align(doc, [("ex:b", "Paris"), ("ex:a", "Paris")])
    assert [(a.start, a.iri) for a in found] == [(0, "ex:a"), (3, "ex:b")]


def test_nothing_matched_gives_nothing():
    doc = NLP("Nothing to see here.")
    assert align(doc, [("ex:x", "Copenhagen"), ("ex:y", ["Aarhus", "Arhus"])]) == []
    assert align(doc, []) == []
    assert align(NLP(""), [("ex:x", "Copenhagen")]) == []


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="threshold"):
        Aligner([], threshold=0)
    with pytest.raises(ValueError, match="max_extra_tokens"):
        Aligner([], max_extra_tokens=-1)
