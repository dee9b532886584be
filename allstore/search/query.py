"""Translate the OpenSearch query DSL into tantivy queries, with OpenSearch's matching semantics.

Scoring is tantivy's BM25, as Lucene's. A fuzzy word (`fuzziness` in `match`/`multi_match`, the
`fuzzy` query) is expanded into the index terms within reach that share its first letter, scored
as Lucene scores them (see fuzzy.py). Every text field is analysed like OpenSearch's `standard`
analyzer (analysis.py); naming another analyzer is refused.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tantivy
from tantivy import Occur, Query

from allstore.search.analysis import analyze, refuse_other_analyzers
from allstore.search.dates import DATE_TYPES, DateParser, time_zone, with_date_math
from allstore.search.errors import SearchError, parsing_error, query_shard_error, unsupported
from allstore.search.fuzzy import MAX_EXPANSIONS, TermExpander
from allstore.search.mapping import (
    BOOLEAN,
    FLOAT_TYPES,
    ID_FIELD,
    INTEGER_TYPES,
    KEYWORD,
    FieldSpec,
    Mapping,
    coerce,
)

# Query names OpenSearch has that this server rejects with a clear message instead of ignoring.
KNOWN_UNSUPPORTED = frozenset(
    {
        "query_string",
        "simple_query_string",
        "wildcard",
        "regexp",
        "exists",
        "nested",
        "has_child",
        "has_parent",
        "function_score",
        "script_score",
        "script",
        "geo_distance",
        "geo_bounding_box",
        "more_like_this",
        "boosting",
        "intervals",
        "span_term",
        "match_bool_prefix",
        "combined_fields",
        "knn",
        "neural",
    }
)

_FIELD_BOOST = re.compile(r"^(?P<field>[^\^]+)(\^(?P<boost>\d+(\.\d+)?))?$")


class QueryBuilder:
    """Builds one tantivy query for one index's mapping; `index` names the index in errors."""

    def __init__(self, index: str, mapping: Mapping, schema: tantivy.Schema, expander: TermExpander) -> None:
        self.index = index
        self.mapping = mapping
        self.schema = schema
        self.expander = expander
        self._builders: dict[str, Callable[[Any], Query]] = {
            "match_all": self._match_all,
            "match_none": lambda _body: Query.empty_query(),
            "match": self._match,
            "match_phrase": self._match_phrase,
            "match_phrase_prefix": self._match_phrase_prefix,
            "multi_match": self._multi_match,
            "fuzzy": self._fuzzy,
            "prefix": self._prefix,
            "term": self._term,
            "terms": self._terms,
            "ids": self._ids,
            "range": self._range,
            "bool": self._bool,
            "constant_score": self._constant_score,
            "dis_max": self._dis_max,
        }

    def build(self, query: Any) -> Query:
        """The tantivy query for an OpenSearch query object (`None` means match_all)."""
        if query is None:
            return Query.all_query()
        if not isinstance(query, dict) or len(query) != 1:
            raise parsing_error("query malformed, must be an object with exactly one query name")
        ((name, body),) = query.items()
        builder = self._builders.get(name)
        if builder is None:
            if name in KNOWN_UNSUPPORTED:
                raise unsupported(f"query [{name}]")
            raise parsing_error(f"unknown query [{name}]")
        return builder(body)

    # --- full-text queries -------------------------------------------------------------------------

    def _match_all(self, body: Any) -> Query:
        params = _params("match_all", body, {"boost"})
        return _boosted(Query.all_query(), params.get("boost", 1.0))

    def _match(self, body: Any) -> Query:
        field, params = _field_query(
            "match",
            body,
            "query",
            {
                "operator",
                "fuzziness",
                "minimum_should_match",
                "boost",
                "analyzer",
                "lenient",
                "prefix_length",
                "max_expansions",
                "fuzzy_transpositions",
                "zero_terms_query",
                "auto_generate_synonyms_phrase_query",
            },
        )
        return _boosted(self._match_field(field, params, lenient=bool(params.get("lenient"))), params)

    def _match_field(self, field: str, params: dict[str, Any], lenient: bool) -> Query:
        spec = self._spec(field)
        if spec is None:
            return Query.empty_query()
        text = params["query"]
        if not spec.is_text:
            return self._exact(spec, text, lenient=lenient, fuzziness=params.get("fuzziness"))
        tokens = analyze(str(text))
        if not tokens:
            return (
                Query.all_query() if params.get("zero_terms_query", "none") == "all" else Query.empty_query()
            )
        fuzziness = params.get("fuzziness")
        fuzzy = _FuzzyOptions.parse(params, "fuzzy_transpositions")
        clauses = [self._fuzzy_word(spec, token, edit_distance(fuzziness, token), fuzzy) for token in tokens]
        if len(clauses) == 1:
            return clauses[0]
        operator = str(params.get("operator", "or")).lower()
        if operator not in ("or", "and"):
            raise bad_operator(operator)
        if operator == "and":
            return Query.boolean_query([(Occur.Must, clause) for clause in clauses])
        required = minimum_should_match(params.get("minimum_should_match"), len(clauses))
        return Query.boolean_query([(Occur.Should, clause) for clause in clauses], required)

    def _fuzzy_word(self, spec: FieldSpec, word: str, distance: int, fuzzy: _FuzzyOptions) -> Query:
        """`word` as one term, or with edits allowed its scored expansions (itself included).

        A document holding several expansions scores each, summed, as Lucene's rewrite of a fuzzy
        query into a boolean `should` of term queries does.
        """
        if distance == 0:
            return Query.term_query(self.schema, spec.path, word)
        expansions = self.expander.expand(
            spec.path, word, distance, fuzzy.transpositions, fuzzy.prefix_length, fuzzy.max_expansions
        )
        if not expansions:  # nothing within reach, or a word too long to expand: only itself can match
            return Query.term_query(self.schema, spec.path, word)
        return Query.boolean_query(
            [
                (Occur.Should, _boosted(Query.term_query(self.schema, spec.path, e.term), e.weight))
                for e in expansions
            ]
        )

    def _match_phrase(self, body: Any) -> Query:
        field, params = _field_query(
            "match_phrase", body, "query", {"slop", "boost", "analyzer", "zero_terms_query"}
        )
        return _boosted(self._phrase(field, params, prefix=False), params)

    def _match_phrase_prefix(self, body: Any) -> Query:
        field, params = _field_query(
            "match_phrase_prefix", body, "query", {"slop", "boost", "analyzer", "max_expansions"}
        )
        return _boosted(self._phrase(field, params, prefix=True), params)

    def _phrase(self, field: str, params: dict[str, Any], prefix: bool, lenient: bool = False) -> Query:
        spec = self._spec(field)
        if spec is None:
            return Query.empty_query()
        if not spec.is_text:
            return self._exact(spec, params["query"], lenient=lenient)
        tokens = analyze(str(params["query"]))
        if not tokens:
            return (
                Query.all_query() if params.get("zero_terms_query", "none") == "all" else Query.empty_query()
            )
        if len(tokens) > 1 and spec.index_options in ("docs", "freqs"):
            raise query_shard_error(
                self.index, f"field:[{spec.path}] was indexed without position data; cannot run PhraseQuery"
            )
        if prefix:
            if int(params.get("slop", 0)):
                raise unsupported("[slop] in phrase_prefix queries")
            if len(tokens) == 1:
                return self._prefix_query(spec, tokens[0])
            return Query.phrase_prefix_query(self.schema, spec.path, tokens)
        if len(tokens) == 1:
            return Query.term_query(self.schema, spec.path, tokens[0])
        return Query.phrase_query(self.schema, spec.path, tokens, slop=int(params.get("slop", 0)))

    def _multi_match(self, body: Any) -> Query:
        params = _params(
            "multi_match",
            body,
            {
                "query",
                "fields",
                "type",
                "operator",
                "fuzziness",
                "minimum_should_match",
                "boost",
                "tie_breaker",
                "analyzer",
                "lenient",
                "prefix_length",
                "max_expansions",
                "fuzzy_transpositions",
                "slop",
                "zero_terms_query",
                "auto_generate_synonyms_phrase_query",
            },
        )
        if "query" not in params:
            raise parsing_error("No text specified for multi_match query")
        match_type = params.get("type", "best_fields")
        if "fuzziness" in params and match_type in ("phrase", "phrase_prefix"):
            raise parsing_error(f"Fuzziness not allowed for type [{match_type}]")
        fields, explicit = self._multi_match_fields(params.get("fields"))
        lenient = bool(params.get("lenient")) or not explicit
        per_field: list[Query] = []
        for field, boost in fields:
            if match_type in ("best_fields", "most_fields"):
                query = self._match_field(field, params, lenient=lenient)
            elif match_type in ("phrase", "phrase_prefix"):
                query = self._phrase(field, params, prefix=match_type == "phrase_prefix", lenient=lenient)
            else:
                raise unsupported(f"multi_match type [{match_type}]")
            per_field.append(_boosted(query, boost))
        if not per_field:
            return Query.empty_query()
        if match_type == "most_fields":
            combined = Query.boolean_query([(Occur.Should, query) for query in per_field])
        else:
            combined = Query.disjunction_max_query(
                per_field, tie_breaker=float(params.get("tie_breaker", 0.0))
            )
        return _boosted(combined, params)

    def _multi_match_fields(self, fields: Any) -> tuple[list[tuple[str, float]], bool]:
        """(field, boost) pairs; wildcards expand over indexed fields. False when fields were implied."""
        if fields is None:
            fields, explicit = ["*"], False
        elif isinstance(fields, str):
            fields, explicit = [fields], True
        elif isinstance(fields, list) and all(isinstance(f, str) for f in fields):
            explicit = True
        else:
            raise parsing_error("[multi_match] fields must be a list of field names")
        resolved: list[tuple[str, float]] = []
        for entry in fields:
            match = _FIELD_BOOST.match(entry.strip())
            if match is None:
                raise parsing_error(f"[multi_match] invalid field [{entry}]")
            name, boost = match["field"], float(match["boost"] or 1.0)
            if "*" in name:
                explicit = explicit and name != "*"
                for spec in self.mapping.indexed_fields():
                    if fnmatch.fnmatchcase(spec.path, name) and (name != "*" or spec.is_string):
                        resolved.append((spec.path, boost))
            else:
                resolved.append((name, boost))
        return resolved, explicit

    # --- term-level queries ------------------------------------------------------------------------

    def _fuzzy(self, body: Any) -> Query:
        field, params = _field_query(
            "fuzzy",
            body,
            "value",
            {"fuzziness", "boost", "transpositions", "prefix_length", "max_expansions", "rewrite"},
        )
        spec = self._string_spec(field, "fuzzy")
        if spec is None:
            return Query.empty_query()
        value = str(params["value"])
        distance = edit_distance(params.get("fuzziness", "AUTO"), value)
        fuzzy = _FuzzyOptions.parse(params, "transpositions")
        return _boosted(self._fuzzy_word(spec, value, distance, fuzzy), params)

    def _prefix(self, body: Any) -> Query:
        field, params = _field_query("prefix", body, "value", {"boost", "rewrite", "case_insensitive"})
        _refuse_case_insensitive("prefix", params)
        spec = self._string_spec(field, "prefix")
        if spec is None:
            return Query.empty_query()
        return _boosted(self._prefix_query(spec, str(params["value"])), params)

    def _prefix_query(self, spec: FieldSpec, prefix: str) -> Query:
        query = Query.fuzzy_term_query(self.schema, spec.path, prefix, distance=0, prefix=True)
        return Query.const_score_query(query, 1.0)

    def _term(self, body: Any) -> Query:
        field, params = _field_query("term", body, "value", {"boost", "case_insensitive"})
        _refuse_case_insensitive("term", params)
        spec = self._spec(field)
        if spec is None:
            return Query.empty_query()
        return _boosted(self._term_query(spec, params["value"]), params)

    def _terms(self, body: Any) -> Query:
        if not isinstance(body, dict):
            raise parsing_error("[terms] query malformed, expected an object")
        params = dict(body)
        boost = params.pop("boost", 1.0)
        if len(params) != 1:
            raise parsing_error("[terms] query requires exactly one field with a list of values")
        ((field, values),) = params.items()
        if not isinstance(values, list):
            raise parsing_error(f"[terms] query does not support [{field}] (values must be a list)")
        spec = self._spec(field)
        if spec is None or not values:
            return Query.empty_query()
        coerced = [self._coerce(spec, value) for value in values]
        return Query.const_score_query(Query.term_set_query(self.schema, spec.path, coerced), float(boost))

    def _ids(self, body: Any) -> Query:
        params = _params("ids", body, {"values", "boost"})
        values = params.get("values", [])
        if not isinstance(values, list):
            raise parsing_error("[ids] values must be a list")
        if not values:
            return Query.empty_query()
        query = Query.term_set_query(self.schema, ID_FIELD, [str(value) for value in values])
        return Query.const_score_query(query, float(params.get("boost", 1.0)))

    def _range(self, body: Any) -> Query:
        field, params = _field_query(
            "range", body, None, {"gt", "gte", "lt", "lte", "boost", "format", "time_zone", "relation"}
        )
        if params.get("relation", "intersects").lower() != "intersects":
            raise unsupported(f"range [relation] [{params['relation']}] (it applies to range fields)")
        spec = self._spec(field)
        if spec is None:
            return Query.empty_query()
        lower_key = "gte" if "gte" in params else "gt"
        upper_key = "lte" if "lte" in params else "lt"
        lower = self._bound(spec, params, lower_key, round_up=lower_key == "gt")
        upper = self._bound(spec, params, upper_key, round_up=upper_key == "lte")
        query = Query.range_query(
            self.schema,
            spec.path,
            _field_type(spec),
            lower_bound=lower,
            upper_bound=upper,
            include_lower=lower is None or lower_key == "gte",
            include_upper=upper is None or upper_key == "lte",
        )
        return Query.const_score_query(query, float(params.get("boost", 1.0)))

    def _bound(self, spec: FieldSpec, params: dict[str, Any], key: str, round_up: bool) -> Any:
        """One range bound as the field stores it; dates with the query's `format`, `time_zone` and
        date math (`now-1d/d`), rounded as OpenSearch rounds `gt`/`lte` up and `gte`/`lt` down."""
        value = params.get(key)
        if value is None:
            return None
        if spec.type not in DATE_TYPES:
            return self._coerce(spec, value)
        parser = DateParser.of(spec.type, params["format"]) if "format" in params else spec.dates
        zone = time_zone(str(params["time_zone"])) if "time_zone" in params else dt.UTC
        try:
            nanos = with_date_math(value, parser, round_up=round_up, zone=zone, now_nanos=time.time_ns())
        except (TypeError, ValueError, OverflowError):
            raise SearchError(
                400, "parse_exception", f"failed to parse date field [{value}] with format [{parser.format}]"
            ).from_shard() from None
        return nanos if spec.type == "date_nanos" else nanos // 1_000_000

    # --- compound queries --------------------------------------------------------------------------

    def _bool(self, body: Any) -> Query:
        params = _params(
            "bool", body, {"must", "should", "filter", "must_not", "minimum_should_match", "boost"}
        )
        must = [self.build(q) for q in _clauses(params.get("must"))]
        filters = [Query.const_score_query(self.build(q), 0.0) for q in _clauses(params.get("filter"))]
        should = [self.build(q) for q in _clauses(params.get("should"))]
        must_not = [self.build(q) for q in _clauses(params.get("must_not"))]
        subqueries = [(Occur.Must, q) for q in must + filters]
        subqueries += [(Occur.Should, q) for q in should]
        subqueries += [(Occur.MustNot, q) for q in must_not]
        if not must and not filters and not should:
            # OpenSearch matches every document a bool without positive clauses does not exclude.
            score = 1.0 if not must_not else 0.0
            subqueries.append((Occur.Must, Query.const_score_query(Query.all_query(), score)))
        required = None
        if should:
            default = 0 if must or filters else 1
            required = minimum_should_match(params.get("minimum_should_match"), len(should), default)
            if required > len(should):
                return Query.empty_query()
        query = Query.boolean_query(subqueries, required or None)
        return _boosted(query, params)

    def _dis_max(self, body: Any) -> Query:
        params = _params("dis_max", body, {"queries", "tie_breaker", "boost"})
        queries = [self.build(q) for q in _clauses(params.get("queries"))]
        if not queries:
            raise parsing_error("[dis_max] requires 'queries' field with at least one clause")
        tie_breaker = float(params.get("tie_breaker", 0.0))
        return _boosted(Query.disjunction_max_query(queries, tie_breaker=tie_breaker), params)

    def _constant_score(self, body: Any) -> Query:
        params = _params("constant_score", body, {"filter", "boost"})
        if "filter" not in params:
            raise parsing_error("[constant_score] requires a 'filter' element")
        return Query.const_score_query(self.build(params["filter"]), float(params.get("boost", 1.0)))

    # --- helpers -----------------------------------------------------------------------------------

    def _spec(self, field: str) -> FieldSpec | None:
        """The field's spec; None for unmapped fields (they match nothing, as in OpenSearch)."""
        if field == ID_FIELD:
            return FieldSpec(ID_FIELD, KEYWORD, True, ID_FIELD)
        spec = self.mapping.field(field)
        if spec is not None and not spec.indexed:
            raise query_shard_error(self.index, f"Cannot search on field [{field}] since it is not indexed.")
        return spec

    def _string_spec(self, field: str, query_name: str) -> FieldSpec | None:
        """The spec of a text or keyword field, for term-level string queries (fuzzy, prefix)."""
        spec = self._spec(field)
        if spec is not None and not spec.is_string:
            raise query_shard_error(
                self.index,
                f"Can only use {query_name} queries on keyword and text fields - not on [{field}] "
                f"which is of type [{spec.type}]",
            )
        return spec

    def _coerce(self, spec: FieldSpec, value: Any) -> Any:
        try:
            return coerce(spec, value)
        except (TypeError, ValueError, OverflowError):
            raise query_shard_error(
                self.index, f"[{spec.path}] of type [{spec.type}] cannot match the value [{value}]"
            ) from None

    def _term_query(self, spec: FieldSpec, value: Any) -> Query:
        return Query.term_query(self.schema, spec.path, self._coerce(spec, value))

    def _exact(self, spec: FieldSpec, value: Any, lenient: bool, fuzziness: Any = None) -> Query:
        """A match-style query on a field that is not analysed: the whole value is one term."""
        if spec.type == KEYWORD:
            text = str(value)
            return self._fuzzy_word(spec, text, edit_distance(fuzziness, text), _FuzzyOptions())
        try:
            return self._term_query(spec, value)
        except SearchError:
            if lenient:
                return Query.empty_query()
            raise


def _field_type(spec: FieldSpec) -> tantivy.FieldType:
    if spec.type in INTEGER_TYPES:
        return tantivy.FieldType.Integer
    if spec.type in FLOAT_TYPES:
        return tantivy.FieldType.Float
    if spec.type == BOOLEAN:
        return tantivy.FieldType.Boolean
    if spec.type in DATE_TYPES:
        return tantivy.FieldType.Integer  # epoch milliseconds or nanoseconds
    raise unsupported(f"range query on {spec.type} field [{spec.path}] (numeric and date fields only)")


def _params(name: str, body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise parsing_error(f"[{name}] query malformed, expected an object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise parsing_error(f"[{name}] query does not support [{unknown[0]}]")
    refuse_other_analyzers(f"the [{name}] query", body)
    return body


def _field_query(
    name: str, body: Any, value_key: str | None, allowed: set[str]
) -> tuple[str, dict[str, Any]]:
    """Split `{field: value}` or `{field: {value_key: value, ...}}` into the field and its parameters."""
    if not isinstance(body, dict) or len(body) != 1:
        raise parsing_error(f"[{name}] query doesn't support multiple fields, or is missing its field")
    ((field, value),) = body.items()
    if isinstance(value, dict):
        params = _params(name, value, allowed | ({value_key} if value_key else set()))
        if value_key and value_key not in params:
            raise parsing_error(f"[{name}] query on field [{field}] is missing [{value_key}]")
    elif value_key is None:
        raise parsing_error(f"[{name}] query on field [{field}] expects an object")
    else:
        params = {value_key: value}
    return field, params


def _clauses(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _boosted(query: Query, boost: Any) -> Query:
    if isinstance(boost, dict):
        boost = boost.get("boost", 1.0)
    try:
        factor = float(boost)
    except (TypeError, ValueError):
        raise parsing_error(f"[boost] must be a number, got [{boost}]") from None
    return query if factor == 1.0 else Query.boost_query(query, factor)


@dataclass(frozen=True)
class _FuzzyOptions:
    """How a fuzzy word expands: OpenSearch's transpositions, prefix_length and max_expansions."""

    transpositions: bool = True
    prefix_length: int = 0
    max_expansions: int = MAX_EXPANSIONS

    @classmethod
    def parse(cls, params: dict[str, Any], transpositions_key: str) -> _FuzzyOptions:
        max_expansions = _int_param("max_expansions", params.get("max_expansions", MAX_EXPANSIONS))
        if max_expansions < 1:
            raise parsing_error(f"[max_expansions] must be positive, got [{max_expansions}]")
        return cls(
            transpositions=_flag(params.get(transpositions_key, True)),
            prefix_length=_int_param("prefix_length", params.get("prefix_length", 0)),
            max_expansions=max_expansions,
        )


def _refuse_case_insensitive(name: str, params: dict[str, Any]) -> None:
    if _flag(params.get("case_insensitive", False)):
        raise unsupported(f"[{name}] query with case_insensitive: true")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise parsing_error(f"expected true or false, got [{value}]")


def _int_param(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise parsing_error(f"[{name}] must be an integer, got [{value}]") from None


def bad_operator(operator: str) -> SearchError:
    return parsing_error(f"operator must be 'or' or 'and', got [{operator}]")


def edit_distance(fuzziness: Any, term: str) -> int:
    """Maximum edits for `term` under an OpenSearch `fuzziness` value (`AUTO`, `AUTO:low,high`, 0–2)."""
    if fuzziness is None:
        return 0
    text = str(fuzziness).strip().upper()
    if text.startswith("AUTO"):
        low, high = 3, 6
        if text.startswith("AUTO:"):
            try:
                low, high = (int(part) for part in text[5:].split(","))
            except ValueError:
                raise parsing_error(f"failed to parse [{fuzziness}] as a fuzziness value") from None
        length = len(term)
        return 0 if length < low else 1 if length < high else 2
    try:
        distance = int(float(text))
    except ValueError:
        raise parsing_error(f"failed to parse [{fuzziness}] as a fuzziness value") from None
    if distance not in (0, 1, 2):
        raise parsing_error(f"fuzziness must be 0, 1, 2 or AUTO, got [{fuzziness}]")
    return distance


def minimum_should_match(spec: Any, clauses: int, default: int = 1) -> int:
    """OpenSearch's `minimum_should_match` (3, "-1", "75%", "-25%") as a clause count."""
    if spec is None:
        return default
    text = str(spec).strip()
    try:
        if text.endswith("%"):
            percent = int(text[:-1])
            count = clauses * abs(percent) // 100
            required = count if percent >= 0 else clauses - count
        else:
            number = int(text)
            required = number if number >= 0 else clauses + number
    except ValueError:
        raise parsing_error(f"invalid minimum_should_match [{spec}]") from None
    return max(0, required)
