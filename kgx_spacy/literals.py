"""Literal values as they are written in text → typed RDF literals; the kinds of value.

``normalize_value("December 23, 1943", "date")`` → ``Literal("1943-12-23", xsd:date)``.
Dates of any granularity come out as xsd:date, xsd:gYearMonth or xsd:gYear; numbers as
xsd:integer or xsd:decimal; quantities with a unit as a UCUM literal (``"1.80 m"^^cdt:ucum``,
the Custom Datatypes vocabulary, https://w3id.org/cdt/); anything else as a
language-tagged string. Free-form dates ("23 Dec. 1943", "4th of July, 1776") go through
dateparser (maintained, many languages); the patterns it gets wrong or does slowly
(years alone, "c. 1756", "1968年2月", ISO dates) are handled first, here.

One vocabulary of value kinds (``KINDS``) serves the attribute tagger's ``value_kinds``,
the dataset converters and distant supervision (``literal_kind`` of a KG literal).
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional

from rdflib import RDF, XSD

CDT_UCUM = "https://w3id.org/cdt/ucum"

# Value kinds an attribute can declare; None lets the value decide.
KIND_DATE, KIND_NUMBER, KIND_QUANTITY, KIND_STRING = "date", "number", "quantity", "string"
KINDS = (KIND_DATE, KIND_NUMBER, KIND_QUANTITY, KIND_STRING)

_CIRCA = re.compile(r"^(?:c\.|ca\.|circa|about|around|approx\.?|约|大约)\s*", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{3,4})(?:\s*年)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
_CJK_DATE = re.compile(r"^(\d{3,4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?)?$")
# English dates written out, read without dateparser (the commonest forms, a hundred times faster):
# "12 March 1943", "12th of March, 1943", "March 12, 1943", "March 1943", "Sept. 1943".
_MONTHS = {
    name: number
    for number, month in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"), 1)
    for name in (month, month[:3])
} | {"sept": 9}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{3,4})$", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{3,4})$", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?,?\s+(\d{3,4})$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_QUANTITY = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*([^\d\s].*)$")
LEADING_NUMBER = re.compile(r"^[-−+]?\d[\d,]*(?:\.\d+)?")
_CJK_METRE = re.compile(r"^(\d)\s*米\s*(\d{1,2})$")  # "1米60": 1.60 m, heights as said in Chinese
_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "万": 10**4, "亿": 10**8}
# Unit as written → UCUM code.
UNITS = {
    "m": "m", "米": "m", "metre": "m", "meter": "m", "metres": "m", "meters": "m",
    "cm": "cm", "厘米": "cm", "公分": "cm", "mm": "mm", "毫米": "mm",
    "km": "km", "公里": "km", "千米": "km", "kilometres": "km", "kilometers": "km",
    "kg": "kg", "公斤": "kg", "千克": "kg", "g": "g", "克": "g", "t": "t", "吨": "t",
    "ft": "[ft_i]", "feet": "[ft_i]", "foot": "[ft_i]", "in": "[in_i]", "inches": "[in_i]",
    "mi": "[mi_i]", "miles": "[mi_i]", "lb": "[lb_av]", "lbs": "[lb_av]", "pounds": "[lb_av]",
    "km2": "km2", "km²": "km2", "平方公里": "km2", "m2": "m2", "m²": "m2",
    "min": "min", "minutes": "min", "分钟": "min", "h": "h", "hours": "h", "小时": "h",
    "s": "s", "seconds": "s", "秒": "s",
}


@dataclass(frozen=True)
class Normalized:
    """A literal's lexical form and datatype IRI; ``lang`` only for rdf:langString."""

    lexical: str
    datatype: str
    lang: Optional[str] = None


def normalize_value(text: str, kind: Optional[str] = None, lang: str = "en") -> Normalized:
    """The typed literal for ``text``.

    kind: what the attribute holds (one of KINDS), or None to decide from the text.
        A kind that does not fit the text falls back to a language-tagged string, so
        nothing is ever dropped.
    lang: the text's language, for dateparser and for string literals.
    """
    value = " ".join(text.split())
    if kind not in (None, *KINDS):
        raise ValueError(f"unknown value kind {kind!r}; expected one of {KINDS}")
    if kind in (None, KIND_NUMBER, KIND_QUANTITY):
        number = parse_number(value)  # a plain number is never a date unless kind says so
        if number is not None:
            return Normalized(number, str(XSD.integer if "." not in number else XSD.decimal))
    if kind in (None, KIND_DATE):
        date = parse_date(value, lang, allow_bare_year=kind == KIND_DATE)
        if date is not None:
            return date
    if kind in (None, KIND_QUANTITY):
        quantity = parse_quantity(value)
        if quantity is not None:
            return quantity
    return Normalized(value, str(RDF.langString), lang)


def literal_kind(lexical: str, datatype: Optional[str]) -> str:
    """What an RDF literal holds (one of ``KINDS``), from its datatype IRI and lexical form."""
    if datatype in (str(XSD.date), str(XSD.gYearMonth), str(XSD.dateTime)):
        return KIND_DATE
    if datatype in (str(XSD.integer), str(XSD.decimal), str(XSD.double), str(XSD.float), str(XSD.int)):
        return KIND_NUMBER
    text = lexical.strip().strip('"')
    match = LEADING_NUMBER.match(text)
    if match and text[match.end() :][:1] in (" ", "("):  # "8.3 m", "5.3 (litres)"; not "1080-6377"
        return KIND_QUANTITY
    return KIND_STRING


def parse_date(text: str, lang: str = "en", allow_bare_year: bool = True) -> Optional[Normalized]:
    """xsd:date / gYearMonth / gYear for a written date; None if it is not one.

    allow_bare_year: read "1943" as a year (for date attributes; otherwise it is a number).
    A leading "c."/"circa" marks an approximate date, which keeps its stated granularity.
    """
    circa = _CIRCA.match(text)
    core = text[circa.end() :] if circa else text
    year = _YEAR.match(core)
    if year and (allow_bare_year or circa or "年" in core):
        return _date(int(year.group(1)))
    for pattern in (_ISO, _CJK_DATE):
        match = pattern.match(core)
        if match:
            y, m, d = (int(g) if g else None for g in match.groups())
            return _date(y, m, d)
    if lang == "en":
        written = _english_date(core.strip())
        if written is not None:
            return written
    return _dateparser(core, lang)


def _english_date(text: str) -> Optional[Normalized]:
    """A date in one of the written English forms above; None for any other text."""
    match = _DAY_MONTH_YEAR.match(text)
    if match and match.group(2).lower() in _MONTHS:
        return _date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    match = _MONTH_DAY_YEAR.match(text)
    if match and match.group(1).lower() in _MONTHS:
        return _date(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
    match = _MONTH_YEAR.match(text)
    if match and match.group(1).lower() in _MONTHS:
        return _date(int(match.group(2)), _MONTHS[match.group(1).lower()])
    return None


def parse_number(text: str) -> Optional[str]:
    """Canonical xsd:integer/decimal lexical form ("29,000" → "29000"); None otherwise."""
    words = text.split()
    scale = 1
    if len(words) == 2 and words[1].lower() in _SCALE:
        text, scale = words[0], _SCALE[words[1].lower()]
    elif text and text[-1] in _SCALE:
        text, scale = text[:-1], _SCALE[text[-1]]
    if not _NUMBER.match(text):
        return None
    try:
        number = Decimal(text.replace(",", "")) * scale
    except InvalidOperation:
        return None
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def parse_quantity(text: str) -> Optional[Normalized]:
    """A number with a known unit → ``"<number> <UCUM code>"^^cdt:ucum``; None otherwise."""
    metre = _CJK_METRE.match(text)
    if metre:
        return Normalized(f"{metre.group(1)}.{metre.group(2).ljust(2, '0')} m", CDT_UCUM)
    match = _QUANTITY.match(text)
    if not match:
        return None
    unit = UNITS.get(match.group(2).strip().rstrip(".").lower())
    if unit is None:
        return None
    return Normalized(f"{match.group(1).replace(',', '')} {unit}", CDT_UCUM)


def _date(year: int, month: Optional[int] = None, day: Optional[int] = None) -> Optional[Normalized]:
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None:
        try:
            datetime.date(year, month, day)  # 31 February is no date
        except ValueError:
            return None
    if day is not None:
        return Normalized(f"{year:04d}-{month:02d}-{day:02d}", str(XSD.date))
    if month is not None:
        return Normalized(f"{year:04d}-{month:02d}", str(XSD.gYearMonth))
    return Normalized(f"{year:04d}", str(XSD.gYear))


@lru_cache(maxsize=4096)
def _dateparser(text: str, lang: str) -> Optional[Normalized]:
    if not re.search(r"\d{3,4}", text):
        return None  # no year written: "May", "the 1990s" would be guessed relative to today
    data = _date_parser(lang).get_date_data(text)
    if data.date_obj is None or str(data.date_obj.year) not in text:
        return None
    date = data.date_obj
    # dateparser fills what it could not read with today's month and day ("2004-07.14" →
    # 2004-12-06 on 6 December): keep a day or month only when the text states it
    written = {int(number) for number in re.findall(r"\d+", text)}
    if data.period == "day" and date.day not in written:
        return None
    if lang == "en" and data.period in ("day", "month") and date.month not in written and not any(
        _MONTHS.get(word) == date.month for word in re.findall(r"[a-z]+", text.lower())
    ):
        return None
    if data.period == "day":
        return _date(date.year, date.month, date.day)
    if data.period == "month":
        return _date(date.year, date.month)
    return _date(date.year)


@lru_cache(maxsize=None)
def _date_parser(lang: str):
    from dateparser.date import DateDataParser

    settings = {"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"], "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        return DateDataParser(languages=[lang], settings=settings)
    except ValueError:  # a language dateparser does not know: let it detect
        return DateDataParser(settings=settings)
