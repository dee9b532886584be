"""Text analysis as OpenSearch's `standard` analyzer: Unicode word boundaries (UAX #29), lower case.

tantivy has no UAX #29 tokenizer, so its regex tokenizer is configured with the rules that decide
where the standard tokenizer splits: letters, digits and connector punctuation form words; a
MidLetter or MidNumLet character (`:` `·` `'` `.` `’` ...) joins two letters (`don't`, `U.S`), a
MidNum or MidNumLet character (`,` `;` `.` `'` ...) joins two digits (`5.3`, `1,000`); Han and
Hiragana characters and emoji are tokens of their own. tests/unit/search/test_analysis.py, and the
real node's `_analyze` in tests/opensearch, hold it to the standard tokenizer.
"""

from __future__ import annotations

import tantivy

from allstore.search.errors import unsupported

STANDARD = "standard"  # the tokenizer name text fields use in the tantivy schema
# Tokens longer than this are dropped (OpenSearch's standard tokenizer splits them at 255).
MAX_TOKEN_LENGTH = 255

_LETTER = r"[\p{L}\p{M}\p{Nl}&&[^\p{Han}\p{Hiragana}]]"
_WORD = r"[\p{L}\p{M}\p{Nl}\p{Nd}\p{Pc}&&[^\p{Han}\p{Hiragana}]]"
_MID_LETTER = r":·\x{0387}\x{05F4}\x{2027}\x{FE13}\x{FE55}\x{FF1A}"
_MID_NUM_LET = r"'.\x{2018}\x{2019}\x{2024}\x{FE52}\x{FF07}\x{FF0E}"
_MID_NUM = r",;\x{037E}\x{0589}\x{060C}\x{060D}\x{066B}\x{066C}\x{07F8}\x{2044}\x{FE10}\x{FE14}\x{FE50}\x{FE54}\x{FF0C}\x{FF1B}"
WORD_PATTERN = (
    rf"(?:{_LETTER}(?:[{_MID_LETTER}{_MID_NUM_LET}]{_LETTER})+"
    rf"|\p{{Nd}}(?:[{_MID_NUM}{_MID_NUM_LET}]\p{{Nd}})+"
    rf"|{_WORD})+"
    r"|[\p{Han}\p{Hiragana}]|\p{Extended_Pictographic}"
)


def standard_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORD_PATTERN))
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH + 1))
        .filter(tantivy.Filter.lowercase())
        .build()
    )


_ANALYZER = standard_analyzer()
ANALYZER_PARAMETERS = ("analyzer", "search_analyzer", "search_quote_analyzer")
# Names that mean the standard analyzer on an index without analysis settings.
STANDARD_NAMES = frozenset({STANDARD, "default"})


def refuse_other_analyzers(where: str, parameters: dict) -> None:
    """Another analyzer (`english`, `whitespace`, ...) would change which documents match on
    OpenSearch, so naming one is refused rather than silently analysed as `standard`."""
    for name in ANALYZER_PARAMETERS:
        value = parameters.get(name)
        if value is not None and value not in STANDARD_NAMES:
            raise unsupported(
                f"[{name}: {value}] in {where} (text is analysed with the standard analyzer only)"
            )


def analyze(text: str) -> list[str]:
    """Text as the index's `standard` tokenizer splits it, so query terms meet indexed terms."""
    return _ANALYZER.analyze(text)


def register(index: tantivy.Index) -> None:
    """Make the `standard` tokenizer known to a tantivy index (tokenizers are not stored with it)."""
    index.register_tokenizer(STANDARD, standard_analyzer())
