"""What can be known about a string and a `format`, and why that is all the classifier claims about formats.

`format` is an annotation in Draft 2020-12 unless the format-assertion vocabulary is in force; the
classifier reads it as an assertion for strict tools, because OpenAI's strict mode constrains generation to
the formats it supports (date-time, time, date, duration, email, hostname, ipv4, ipv6, uuid). Validators
disagree at the edges of every format (leap seconds, quoted e-mail local parts, IPv6 zone ids, numeric
host names), so exact set reasoning about formats is impossible. Formats are read here as their defining
documents do (RFC 3339 dates, times and durations, RFC 5321 e-mail, RFC 1123 host names, RFC 2673/4291
addresses, RFC 4122 UUIDs, RFC 3986/3987 URIs, RFC 6901 pointers), which is what OpenAI's constrained
generation produces; a lax validator accepts more. What is decidable is membership at the two ends:

- *necessarily not*: each known format has a necessary shape, a regular over-approximation of its valid
  strings (a date is `dddd-MM-DD` with a month 01-12 and a day 01-31, an e-mail address has an `@`); a
  string outside the shape is not of the format, and the shape bounds the format's strings for the automata
  (a date has ten characters);
- *surely*: a conservative shape inside the format (a date whose day is at most 28, a dotted quad without
  leading zeros), and a canonical example of each format.

A format change is then judged by witnesses (the old format's example, outside the new format's necessary
shape, proves the change breaking); a schema is proven to fit a format only when its whole language lies in
the format's sure shape (a pattern that spells plain dates fits `date`). Read as annotations (non-strict
tools, Draft 2020-12's default), formats are dropped before any of this.
"""

from __future__ import annotations

from reconciler.schema.compat.ecma import Unsupported
from reconciler.schema.compat.verdict import Compat

_DATE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d)"
# Regular over-approximations (ECMA-262 patterns, read by `automata`).
NECESSARY = {
    "date": rf"^{_DATE}$",
    "time": rf"^{_TIME}$",
    "date-time": rf"^{_DATE}[Tt ]{_TIME}$",
    "duration": r"^P[0-9YMWDTHS.,]+$",
    "email": r"^[\s\S]*@[\s\S]*$",
    "idn-email": r"^[\s\S]*@[\s\S]*$",
    "hostname": r"^[A-Za-z0-9.-]+$",
    "ipv4": r"^\d{1,3}(\.\d{1,3}){3}$",
    "ipv6": r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$",
    "uuid": r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    "uri": r"^[A-Za-z][A-Za-z0-9+.-]*:[\s\S]*$",
    "iri": r"^[^:/?#]+:[\s\S]*$",
    "json-pointer": r"^(/[\s\S]*)?$",
}
_SURE_DATE = r"[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])"  # year 0 trips some date libraries
_SURE_TIME = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
_LABEL = r"[a-z]([a-z0-9-]{0,14}[a-z0-9])?"
_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Regular under-approximations.
SURE = {
    "date": rf"^{_SURE_DATE}$",
    "time": rf"^{_SURE_TIME}$",
    "date-time": rf"^{_SURE_DATE}T{_SURE_TIME}$",
    "duration": r"^P\d{1,4}[YMWD]$",
    "email": r"^[a-z][a-z0-9]{0,15}@[a-z][a-z0-9]{0,15}\.[a-z]{2,6}$",
    "hostname": rf"^{_LABEL}(\.{_LABEL}){{0,3}}$",
    "ipv4": rf"^{_OCTET}(\.{_OCTET}){{3}}$",
    "uuid": NECESSARY["uuid"],
    "json-pointer": r"^(/[a-z0-9]*)*$",
}
EXAMPLES = {
    "date": "2024-01-31",
    "time": "12:30:00Z",
    "date-time": "2024-01-31T12:30:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "json-pointer": "/a",
}


def known(fmt: str) -> bool:
    return fmt in NECESSARY


def shape(fmt: str | None) -> tuple[str, ...]:
    """The necessary shape of a format as a pattern, to bound its strings on the automata."""
    return (NECESSARY[fmt],) if fmt in NECESSARY else ()


def format_member(value: str, fmt: str) -> Compat:
    """Is `value` of format `fmt` (YES), surely not (NO), or not decided (UNKNOWN)?"""
    from reconciler.schema.compat.automata import matches

    if fmt not in NECESSARY:
        return Compat.UNKNOWN
    try:
        if not matches(NECESSARY[fmt], value):
            return Compat.NO
        if value == EXAMPLES[fmt] or (fmt in SURE and matches(SURE[fmt], value)):
            return Compat.YES
    except Unsupported:
        pass
    return Compat.UNKNOWN


def candidates(fmt: str | None) -> tuple[str, ...]:
    """Strings worth trying as witnesses against a format: its example, or a spread of other examples."""
    if fmt is not None:
        return (EXAMPLES[fmt],) if fmt in EXAMPLES else ()
    return ("", "x", "0", " ", "not a format", *EXAMPLES.values())
