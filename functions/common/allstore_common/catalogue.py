"""How a raw product or user record becomes an Items or Users table item.

The set-up Lambda loads the tables with this, and the local tools reuse it, so an item looks the
same whichever way it arrived. Parsing is `records.py`'s job; this module only decides what the
store needs: the original demo's CSV renames and dropped fields, titles short enough to display,
a full-size image, and the attributes both Items indexes are keyed on (`category`, `popularity`,
`popularityGroup`), which every item carries so the indexes hold the whole catalogue.
"""

from __future__ import annotations

import heapq
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from allstore_common import records

CSV_RENAMES = {"ITEM_ID": "asin", "TITLE": "title", "IMGURL": "imUrl", "GENRE": "genre"}
DROPPED_FIELDS = frozenset({"also_buy", "also_viewed", "salesRank", "similar_item", "image"})
MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 50_000  # per description/feature field: keeps items far below DynamoDB's 400 KB
DEFAULT_CATEGORY = "Uncategorized"
DEFAULT_IMAGE_URL = ""  # the web UI shows a neutral placeholder for an empty imUrl
POPULARITY_GROUP = "all"  # the popular-index hash key: one group, so one Query ranks everything
FIRST_NAME_FIELDS = ("firstName", "first_name", "FIRST_NAME", "FirstName")
LAST_NAME_FIELDS = ("lastName", "last_name", "LAST_NAME", "LastName")
RATING_EVENT_TYPES = (None, "rating", "review")  # reviews carry no event type; others are not stars
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
# An item keeps its newest reviews, each cut to these lengths (characters): at most about 2 KB of
# text a review even in 4-byte characters, so they never bring an item near DynamoDB's 400 KB.
REVIEWS_PER_ITEM = 3
MAX_REVIEW_TEXT_LENGTH = 500
MAX_REVIEW_HEADLINE_LENGTH = 120
MAX_REVIEWER_NAME_LENGTH = 60


class InvalidRecord(ValueError):
    """A record that cannot become an item (it has no id)."""


@dataclass(frozen=True)
class ProductItem:
    item: dict[str, Any]
    repaired: bool  # title shortened or over-long text cut
    defaulted: bool  # title, image or genre filled in


def product_item(
    record: dict[str, Any],
    popularity: int = 0,
    rating: tuple[Decimal, int] | None = None,
    reviews: list[dict[str, Any]] | None = None,
) -> ProductItem:
    """The Items-table item for one product record; `popularity` is its interaction count,
    `rating` its mean stars and number of ratings (`rating`, `ratingCount` on the item) and
    `reviews` its newest reviews, newest first (`reviews`, left out when there are none)."""
    asin = records.item_id(record)
    if asin is None:
        raise InvalidRecord("record has no item id (asin / ITEM_ID)")
    item = {
        CSV_RENAMES.get(name, name): dynamodb_value(value)
        for name, value in record.items()
        if name and name not in DROPPED_FIELDS
    }
    item = {name: value for name, value in item.items() if not _is_empty(value)}
    repaired = defaulted = False

    title = records.title(record)
    if title is None:
        title, defaulted = f"Product {asin}", True
    elif len(title) > MAX_TITLE_LENGTH:
        title, repaired = _short_title(title, records.description(record)), True
    image = records.image_url(record)
    if image is None:
        image, defaulted = DEFAULT_IMAGE_URL, True
    category = records.category(record)
    genre = _text_field(record, ("genre", "GENRE")) or category
    if genre is None:
        genre, defaulted = DEFAULT_CATEGORY, True

    for name in ("description", "feature"):
        if name in item:
            item[name], cut = _cut_text(item[name])
            repaired = repaired or cut
    item.update(
        asin=asin,
        title=title,
        imUrl=image,
        genre=genre,
        category=category or genre,
        popularity=int(popularity),
        popularityGroup=POPULARITY_GROUP,
    )
    item.pop("price", None)
    price = records.price(record)
    if price is not None:
        item["price"] = Decimal(str(price))
    brand = records.brand(record)
    if brand is not None:
        item["brand"] = brand
    if rating is not None:
        item["rating"], item["ratingCount"] = rating
    if reviews:
        item["reviews"] = reviews
    else:
        item.pop("reviews", None)  # only the loader's own reviews, never a catalogue's field of that name
    return ProductItem(item, repaired, defaulted)


def user_item(record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The Users-table item for one user record, and whether a name had to be filled in."""
    user_id = records.user_id(record)
    if user_id is None:
        raise InvalidRecord("record has no user id (id / USER_ID)")
    item = {name: dynamodb_value(value) for name, value in record.items() if name}
    item = {name: value for name, value in item.items() if not _is_empty(value)}
    first_name = _text_field(record, FIRST_NAME_FIELDS)
    last_name = _text_field(record, LAST_NAME_FIELDS)
    for name in (*records.USER_ID_FIELDS, *FIRST_NAME_FIELDS, *LAST_NAME_FIELDS):
        item.pop(name, None)
    item.update(id=user_id, firstName=first_name or "Shopper", lastName=last_name or user_id)
    return item, first_name is None or last_name is None


class NewestReviews:
    """The `keep` newest reviews of each item `wanted` accepts, from a stream of review records,
    holding no more than that: a bounded heap per item, each review cut to display length when
    it enters. A review is a record with an item, stars 1-5, a time and a headline or text."""

    def __init__(self, keep: int = REVIEWS_PER_ITEM, wanted: Callable[[str], bool] = lambda asin: True):
        self.keep = keep
        self.wanted = wanted
        self._heaps: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
        self._sequence = itertools.count()  # same second: the later line is the newer review

    def add(self, record: dict[str, Any]) -> None:
        if self.keep <= 0:
            return
        headline, text = records.review_headline(record), records.review_text(record)
        if headline is None and text is None:
            return
        asin = records.item_id(record)
        if asin is None or not self.wanted(asin):
            return
        when, stars = records.timestamp(record), records.value(record)
        if when is None or stars is None or not 1 <= stars <= 5:
            return
        heap = self._heaps.setdefault(asin, [])
        key = (when, next(self._sequence))
        if len(heap) == self.keep and key < heap[0][:2]:
            return  # older than every review kept
        review: dict[str, Any] = {
            "stars": int(stars) if float(stars).is_integer() else Decimal(str(round(stars, 1))),
            "date": time.strftime("%Y-%m-%d", time.gmtime(when)),
        }
        for name, value, limit in (
            ("name", records.reviewer_name(record), MAX_REVIEWER_NAME_LENGTH),
            ("headline", headline, MAX_REVIEW_HEADLINE_LENGTH),
            ("text", text, MAX_REVIEW_TEXT_LENGTH),
        ):
            if value is not None:
                review[name] = shortened(value, limit)
        if len(heap) == self.keep:
            heapq.heapreplace(heap, (*key, review))
        else:
            heapq.heappush(heap, (*key, review))

    def of(self, asin: str) -> list[dict[str, Any]]:
        """The item's kept reviews, newest first."""
        newest_first = sorted(self._heaps.get(asin, ()), key=lambda entry: entry[:2], reverse=True)
        return [review for _, _, review in newest_first]

    def __len__(self) -> int:
        return len(self._heaps)


@dataclass
class InteractionStats:
    """Per item: how many interactions (the `popularity` both Items indexes sort by), the sum and
    number of its star ratings (reviews' `overall`, or EVENT_VALUE of `rating` events) and its
    newest reviews (records with a headline or text)."""

    popularity: Counter[str]
    rating_sums: Counter[str]
    rating_counts: Counter[str]
    reviews: NewestReviews = field(default_factory=NewestReviews)

    def rating(self, asin: str) -> tuple[Decimal, int] | None:
        """(mean stars to one decimal, number of ratings), or None when the item has none."""
        count = self.rating_counts.get(asin, 0)
        if not count:
            return None
        return Decimal(str(round(self.rating_sums[asin] / count, 1))), count

    def rate_from_reviews(self, reviews: Iterable[dict[str, Any]]) -> None:
        """Read the reviews' records into `self.reviews`, and give every item with rated reviews
        among them the stars and count of those reviews (a store's rating is its reviews'); an
        item without any keeps the ratings of the interactions."""
        sums: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        for review in reviews:
            self.reviews.add(review)
            item = records.item_id(review)
            if item is not None:
                _count_rating(review, item, sums, counts)
        for item, count in counts.items():
            self.rating_sums[item], self.rating_counts[item] = sums[item], count


def _count_rating(record: dict[str, Any], item: str, sums: Counter[str], counts: Counter[str]) -> None:
    stars = records.value(record)
    if stars is not None and 1 <= stars <= 5 and records.event_type(record) in RATING_EVENT_TYPES:
        sums[item] += stars
        counts[item] += 1


def interaction_stats(
    interactions: Iterable[dict[str, Any]], reviews: NewestReviews | None = None
) -> InteractionStats:
    """One pass over the interactions: popularity and star ratings per item, and the newest
    reviews into `reviews` (None: none kept)."""
    stats = InteractionStats(
        Counter(), Counter(), Counter(), reviews if reviews is not None else NewestReviews()
    )
    for interaction in interactions:
        item = records.item_id(interaction)
        if item is None:
            continue
        stats.popularity[item] += 1
        _count_rating(interaction, item, stats.rating_sums, stats.rating_counts)
        if reviews is not None:
            reviews.add(interaction)
    return stats


def shortened(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut at a word boundary, with an ellipsis, when longer."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def dynamodb_value(value: Any) -> Any:
    """`value` in types boto3 can write: floats become Decimals, NaN/infinity and tuples are handled."""
    if isinstance(value, float):
        return Decimal(str(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {str(key): dynamodb_value(element) for key, element in value.items() if str(key)}
    if isinstance(value, list | tuple):
        return [dynamodb_value(element) for element in value]
    return value


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text_field(record: dict[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _short_title(title: str, description: list[str]) -> str:
    """A display title for an over-long one: the description's first sentence, else the title cut."""
    first_paragraph = description[0] if description else ""
    sentence = _SENTENCE_END.split(first_paragraph, maxsplit=1)[0].strip()
    if 0 < len(sentence) <= MAX_TITLE_LENGTH:
        return sentence
    cut = title[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}…"


def _cut_text(value: Any) -> tuple[Any, bool]:
    """`value` (a string or list of strings) with at most MAX_TEXT_LENGTH characters in total."""
    parts = value if isinstance(value, list) else [value]
    kept, total, cut = [], 0, False
    for part in parts:
        if isinstance(part, str):
            room = MAX_TEXT_LENGTH - total
            if len(part) > room:
                part, cut = part[:room], True
            total += len(part)
            if not part:
                continue
        kept.append(part)
    return (kept if isinstance(value, list) else (kept[0] if kept else "")), cut
