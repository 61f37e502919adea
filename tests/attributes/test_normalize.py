"""The literal normaliser on the real formats found in KnowledgeNet, DeepKE and WebNLG."""

import pytest
from rdflib import Literal, namespace as ns

from kgx_spacy.literals import CDT_UCUM, normalize_value

CASES = [
    ("December 23, 1943", "date", "en", "1943-12-23", ns.XSD.date),
    ("23 Dec. 1943", "date", "en", "1943-12-23", ns.XSD.date),
    ("4 July 1776", "date", "en", "1776-07-04", ns.XSD.date),
    ("July 4th, 1776", None, "en", "1776-07-04", ns.XSD.date),
    ("March 1990", "date", "en", "1990-03", ns.XSD.gYearMonth),
    ("1943", "date", "en", "1943", ns.XSD.gYear),
    ("c. 1756", "date", "en", "1756", ns.XSD.gYear),
    ("circa 1756", None, "en", "1756", ns.XSD.gYear),
    ("1990-05-03", None, "en", "1990-05-03", ns.XSD.date),
    ("1968年2月", "date", "zh", "1968-02", ns.XSD.gYearMonth),
    ("2009年12月18日", None, "zh", "2009-12-18", ns.XSD.date),
    ("1943年", None, "zh", "1943", ns.XSD.gYear),
    ("29,000", "number", "en", "29000", ns.XSD.integer),
    ("1943", "number", "en", "1943", ns.XSD.integer),
    ("2.5 million", None, "en", "2500000", ns.XSD.integer),
    ("3.1415", None, "en", "3.1415", ns.XSD.decimal),
    ("1.80米", "quantity", "zh", "1.80 m", CDT_UCUM),
    ("183 cm", "quantity", "en", "183 cm", CDT_UCUM),
    ("2,200 ft", None, "en", "2200 [ft_i]", CDT_UCUM),
    ("1米60", "quantity", "zh", "1.60 m", CDT_UCUM),
    ("1米8", "quantity", "zh", "1.80 m", CDT_UCUM),
]


@pytest.mark.parametrize("text,kind,lang,lexical,datatype", CASES)
def test_formats(text, kind, lang, lexical, datatype):
    value = normalize_value(text, kind, lang)
    assert (value.lexical, value.datatype) == (lexical, str(datatype))
    assert Literal(value.lexical, datatype=value.datatype).ill_typed is not True


@pytest.mark.parametrize("text,kind,lang", [("汉族", "string", "zh"), ("May", "date", "en"), ("the 1990s", "date", "en"), ("tall", "quantity", "en"), ("13 parsecs", "quantity", "en")])
def test_what_does_not_fit_stays_a_string(text, kind, lang):
    value = normalize_value(text, kind, lang)
    assert (value.lexical, value.datatype, value.lang) == (text, str(ns.RDF.langString), lang)


def test_impossible_dates_are_not_dates():
    assert normalize_value("1968年13月", "date", "zh").datatype == str(ns.RDF.langString)
    for text in ("31 February 2000", "2001-02-29", "March 32, 1999", "2004-07.14"):  # the last: no day dateparser may invent
        assert normalize_value(text, "date", "en").datatype == str(ns.RDF.langString), text


@pytest.mark.parametrize("text", [
    "12 March 1943", "12th of March, 1943", "March 12, 1943", "Mar. 3rd, 2001", "Jan 5 1999", "Sept. 1943",
    "May 2010", "5 may 2010", "1 Foo 1999", "Foo 12, 1999", "12 March 1943 onwards",
])
def test_written_english_dates_read_as_dateparser_reads_them(text):
    """The fast path for written English dates gives dateparser's reading, or leaves the
    text to it."""
    from kgx_spacy.literals import _dateparser, parse_date

    assert parse_date(text) == _dateparser(text, "en")


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown value kind"):
        normalize_value("1", "dates")
