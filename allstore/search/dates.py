"""OpenSearch dates: `format`s (named formats and Java-style patterns), epoch values and date math.

A `date` is kept as epoch milliseconds and a `date_nanos` as epoch nanoseconds (tantivy's own date
type keeps whole seconds), so ranges, terms and sort values keep the precision OpenSearch keeps.

Formats follow OpenSearch's "Formats" page: `a||b` tries each in turn; the named formats below and
patterns built from `y u M d H m s S X Z x` and quoted literals. Anything else (week dates, names
of months, ...) is refused with a 400 naming the format, rather than parsed differently.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from allstore.search.errors import SearchError, unsupported

DATE = "date"
DATE_NANOS = "date_nanos"
DATE_TYPES = frozenset({DATE, DATE_NANOS})
DEFAULT_FORMATS = {
    DATE: "strict_date_optional_time||epoch_millis",  # what OpenSearch 3.3 reports in its errors
    DATE_NANOS: "strict_date_optional_time_nanos||epoch_millis",
}
NANOS_PER_MILLI = 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_PART = r"(?P<{name}>\d{{{width}}})"
_OFFSET = r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)"
_YMD = r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
_HMS = r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
_FRACTION = r"[.,](?P<fraction>\d{1,9})"
# ISO 8601 as OpenSearch's date_optional_time reads it: a year, then optionally month, day, time, zone.
_OPTIONAL_TIME = (
    r"(?P<year>[+-]?\d{4,9})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    + _OFFSET
    + r"?)?)?)?"
)


@dataclass(frozen=True)
class _Grammar:
    """A compiled format: a regex over the whole text, or an epoch unit."""

    pattern: re.Pattern[str] | None = None
    epoch_unit_nanos: int | None = None


_NAMED: dict[str, _Grammar] = {
    "epoch_millis": _Grammar(epoch_unit_nanos=NANOS_PER_MILLI),
    "epoch_second": _Grammar(epoch_unit_nanos=1_000_000_000),
}
for _names, _regex in (
    (("strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos"), _OPTIONAL_TIME),
    (("strict_date", "date", "strict_year_month_day", "year_month_day"), _YMD),
    (("strict_date_time", "date_time"), _YMD + _HMS + _FRACTION + _OFFSET),
    (("strict_date_time_no_millis", "date_time_no_millis"), _YMD + _HMS + _OFFSET),
    (("strict_date_hour_minute_second", "date_hour_minute_second"), _YMD + _HMS),
    (
        ("strict_date_hour_minute_second_millis", "date_hour_minute_second_millis"),
        _YMD + _HMS + r"\.(?P<fraction>\d{3})",
    ),
    (("strict_date_hour_minute", "date_hour_minute"), _YMD + r"T(?P<hour>\d{2}):(?P<minute>\d{2})"),
    (("basic_date",), r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"),
    (("strict_year_month", "year_month"), r"(?P<year>\d{4})-(?P<month>\d{2})"),
    (("strict_year", "year"), r"(?P<year>\d{4})"),
):
    for _name in _names:
        _NAMED[_name] = _Grammar(pattern=re.compile(_regex))

_PATTERN_LETTERS: dict[str, Callable[[int], str]] = {
    "y": lambda n: r"(?P<year>[+-]?\d{4,9})" if n != 2 else r"(?P<year2>\d{2})",
    "u": lambda n: r"(?P<year>[+-]?\d{4,9})" if n != 2 else r"(?P<year2>\d{2})",
    "M": lambda n: _PART.format(name="month", width="2" if n >= 2 else "1,2"),
    "d": lambda n: _PART.format(name="day", width="2" if n >= 2 else "1,2"),
    "H": lambda n: _PART.format(name="hour", width="2" if n >= 2 else "1,2"),
    "m": lambda n: _PART.format(name="minute", width="2" if n >= 2 else "1,2"),
    "s": lambda n: _PART.format(name="second", width="2" if n >= 2 else "1,2"),
    "S": lambda n: _PART.format(name="fraction", width=str(n)),
    "X": lambda n: _OFFSET,
    "x": lambda n: _OFFSET,
    "Z": lambda n: _OFFSET,
}


def _compile_pattern(pattern: str) -> _Grammar:
    """A Java DateTimeFormatter pattern (`yyyy-MM-dd HH:mm:ss`, `dd/MM/yyyy`) as a regex."""
    out = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "'":
            end = pattern.find("'", position + 1)
            if end < 0:
                raise unsupported(f"date format [{pattern}] (an unclosed quote)")
            out.append(re.escape(pattern[position + 1 : end]) if end > position + 1 else "'")
            position = end + 1
            continue
        run = len(char) + len(re.match(re.escape(char) + "*", pattern[position + 1 :]).group())  # type: ignore[union-attr]
        if char.isalpha():
            if char not in _PATTERN_LETTERS:
                raise unsupported(f"date format [{pattern}] (pattern letter [{char}])")
            out.append(_PATTERN_LETTERS[char](run))
        else:
            out.append(re.escape(char * run))
        position += run
    try:
        return _Grammar(pattern=re.compile("".join(out)))
    except re.error:
        raise unsupported(f"date format [{pattern}] (a repeated field)") from None


def compile_format(text: str) -> tuple[_Grammar, ...]:
    """The grammars of a `format` (`a||b`), checked once at mapping time; unknown ones are refused."""
    grammars = []
    for name in str(text).split("||"):
        name = name.strip()
        if name in _NAMED:
            grammars.append(_NAMED[name])
        elif re.fullmatch(r"[a-z_]+", name):
            raise unsupported(f"date format [{name}]")
        else:
            grammars.append(_compile_pattern(name))
    return tuple(grammars)


@dataclass(frozen=True)
class DateParser:
    """Parses values of one `date`/`date_nanos` field to epoch nanoseconds with its `format`."""

    format: str
    grammars: tuple[_Grammar, ...]

    @classmethod
    def of(cls, field_type: str, format_text: str | None) -> DateParser:
        text = format_text or DEFAULT_FORMATS[field_type]
        return cls(text, compile_format(text))

    def nanos(self, value: object, *, round_up: bool = False, zone: dt.tzinfo = dt.UTC) -> int:
        """Epoch nanoseconds; `round_up` fills missing time parts with their last value (a range's
        `lte`/`gt`), as OpenSearch does. ValueError when no format reads `value`."""
        if isinstance(value, bool) or value is None:
            raise ValueError(value)
        text = str(value).strip() if not isinstance(value, float) else repr(value)
        for grammar in self.grammars:
            if grammar.epoch_unit_nanos is not None:
                if isinstance(value, int | float) or re.fullmatch(r"-?\d+(\.\d+)?", text):
                    return _epoch_nanos(text, grammar.epoch_unit_nanos)
                continue
            assert grammar.pattern is not None
            found = grammar.pattern.fullmatch(text)
            if found is not None:
                return _nanos_of(found.groupdict(), round_up, zone)
        raise ValueError(f"failed to parse date field [{value}] with format [{self.format}]")


def _epoch_nanos(text: str, unit_nanos: int) -> int:
    whole, _, fraction = text.partition(".")
    negative = whole.startswith("-")
    nanos = abs(int(whole)) * unit_nanos
    if fraction:
        nanos += int(fraction.ljust(18, "0")[:18]) * unit_nanos // 10**18
    return -nanos if negative else nanos


def _nanos_of(parts: dict[str, str | None], round_up: bool, zone: dt.tzinfo) -> int:
    """Missing parts are the start of their range (month and day 1), or with `round_up` the time
    parts their end (23:59:59.999999999), as OpenSearch fills them for range bounds."""

    def number(name: str, default: int, last: int) -> int:
        value = parts.get(name)
        return int(value) if value is not None else (last if round_up else default)

    year = int(parts["year2"]) + 2000 if parts.get("year2") else number("year", 1970, 1970)
    fraction = parts.get("fraction")
    if fraction is not None:
        fraction_nanos = int(fraction.ljust(9, "0")[:9])
    else:
        fraction_nanos = 999_999_999 if round_up and parts.get("second") is None else 0
    offset = parts.get("offset")
    moment = dt.datetime(
        year,
        number("month", 1, 1),
        number("day", 1, 1),
        number("hour", 0, 23),
        number("minute", 0, 59),
        number("second", 0, 59),
        tzinfo=zone if offset is None else _offset(offset),
    )
    return _seconds_of(moment) * 1_000_000_000 + fraction_nanos


def _seconds_of(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return delta.days * 86_400 + delta.seconds


def _offset(text: str) -> dt.tzinfo:
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    return dt.timezone(sign * dt.timedelta(minutes=minutes))


def time_zone(text: str) -> dt.tzinfo:
    """A range query's `time_zone`: an offset (`+01:00`) or a zone id (`Europe/Paris`, `UTC`)."""
    if re.fullmatch(r"[+-]\d{2}(:?\d{2})?", text):
        return _offset(text)
    try:
        return dt.UTC if text in {"UTC", "Z"} else ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise SearchError(400, "illegal_argument_exception", f"Unknown time-zone ID: {text}") from None


# --- date math: `now-1d/d`, `2020-01-01||+1M/d` ---------------------------------------------------

_MATH = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


def with_date_math(
    value: object, parser: DateParser, *, round_up: bool, zone: dt.tzinfo, now_nanos: int
) -> int:
    """A range bound in epoch nanoseconds, with OpenSearch's date math and rounding: `gt`/`lte`
    round up to the last nanosecond of the unit, `gte`/`lt` down to its first."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not (text.startswith("now") or "||" in text):
        return parser.nanos(value, round_up=round_up, zone=zone)
    if text.startswith("now"):
        anchor, expression = now_nanos, text[3:]
    else:
        anchor_text, _, expression = text.partition("||")
        anchor = parser.nanos(anchor_text, zone=zone)
    moment = (_EPOCH + dt.timedelta(microseconds=anchor // 1000)).astimezone(zone)
    below_micros = anchor % 1000
    position = 0
    for step in _MATH.finditer(expression):
        if step.start() != position:
            break
        position = step.end()
        if step.group(4):
            moment = _round(moment, step.group(4), round_up)
            below_micros = 999 if round_up else 0
        else:
            moment = _add(moment, int(step.group(2)) * (1 if step.group(1) == "+" else -1), step.group(3))
    if position != len(expression):
        raise ValueError(f"invalid date math [{text}]")
    return _seconds_of(moment) * 1_000_000_000 + moment.microsecond * 1000 + below_micros


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "H": 3_600, "m": 60, "s": 1}


def _add(moment: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit in "yM":
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return moment.replace(year=year, month=month, day=min(moment.day, _DAYS_IN_MONTH[month - 1] + leap))
    return moment + dt.timedelta(seconds=amount * _UNIT_SECONDS[unit])


def _round(moment: dt.datetime, unit: str, up: bool) -> dt.datetime:
    """The first microsecond of the `unit` holding `moment`, or rounding up its last."""
    start = moment.replace(microsecond=0)
    if unit in "yMwdhHm":
        start = start.replace(second=0)
    if unit in "yMwdhH":
        start = start.replace(minute=0)
    if unit in "yMwd":
        start = start.replace(hour=0)
    if unit == "w":
        start -= dt.timedelta(days=start.weekday())
    if unit in "yM":
        start = start.replace(day=1)
    if unit == "y":
        start = start.replace(month=1)
    if not up:
        return start
    return _add(start, 1, unit) - dt.timedelta(microseconds=1)
