"""The product/user record → table item transformation (allstore_common.catalogue)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from allstore_common import catalogue

LONG_TITLE = "Ultra " * 60  # 360 characters


def test_original_csv_columns_are_renamed_and_index_keys_added():
    product = catalogue.product_item(
        {"ITEM_ID": "B1", "TITLE": "Tent", "IMGURL": "https://img/b1.jpg", "GENRE": "Camping|Tents"},
        popularity=7,
    )
    assert product.item == {
        "asin": "B1",
        "title": "Tent",
        "imUrl": "https://img/b1.jpg",
        "genre": "Camping|Tents",
        "category": "Tents",
        "popularity": 7,
        "popularityGroup": "all",
    }
    assert not product.repaired
    assert not product.defaulted


def test_ucsd_2018_metadata_is_cleaned():
    record = {
        "asin": "B2",
        "title": "Gift card",
        "image": ["https://images-na.ssl-images-amazon.com/images/I/41abc._SX38_SY50_CR,0,0,38,50_.jpg"],
        "category": ["Gift Cards", "Gift Cards", "Restaurants"],
        "also_buy": ["B3"],
        "also_viewed": ["B4"],
        "salesRank": {"Gift Cards": 1},
        "similar_item": "",
        "price": "$25.00",
        "brand": "Acme &amp; Co",
        "description": ["A card.", "Valid everywhere."],
        "feature": [],
        "rank": 1.5,
    }
    item = catalogue.product_item(record).item
    assert item["imUrl"] == "https://images-na.ssl-images-amazon.com/images/I/41abc.jpg"
    assert item["category"] == "Restaurants"
    assert item["genre"] == "Restaurants"
    assert item["price"] == Decimal("25.0")
    assert item["brand"] == "Acme & Co"
    assert item["description"] == ["A card.", "Valid everywhere."]
    assert item["rank"] == Decimal("1.5")
    assert item["popularity"] == 0
    for dropped in ("also_buy", "also_viewed", "salesRank", "similar_item", "image", "feature"):
        assert dropped not in item


def test_ucsd_2014_category_lists_give_the_first_paths_leaf():
    record = {
        "asin": "B3",
        "title": "Bell",
        "categories": [["Sports & Outdoors", "Cycling", "Bells"], ["Toys"]],
    }
    assert catalogue.product_item(record).item["category"] == "Bells"


def test_an_over_long_title_is_repaired_from_the_descriptions_first_sentence():
    product = catalogue.product_item(
        {"asin": "B4", "title": LONG_TITLE, "description": ["A light tent for two. It packs small."]}
    )
    assert product.item["title"] == "A light tent for two."
    assert product.repaired


def test_an_over_long_title_without_a_usable_description_is_cut_at_a_word():
    product = catalogue.product_item({"asin": "B5", "title": LONG_TITLE, "description": "x" * 500})
    title = product.item["title"]
    assert title.startswith("Ultra Ultra") and title.endswith("…")
    assert len(title) <= catalogue.MAX_TITLE_LENGTH
    assert product.repaired


def test_missing_title_image_and_genre_get_defaults():
    product = catalogue.product_item({"asin": "B6"})
    assert product.item["title"] == "Product B6"
    assert product.item["imUrl"] == ""
    assert product.item["genre"] == product.item["category"] == "Uncategorized"
    assert product.defaulted


def test_a_record_without_an_id_is_rejected():
    with pytest.raises(catalogue.InvalidRecord):
        catalogue.product_item({"title": "Nameless"})


def test_users_get_default_names():
    item, defaulted = catalogue.user_item({"id": "42", "firstName": "Ada"})
    assert item == {"id": "42", "firstName": "Ada", "lastName": "42"}
    assert defaulted
    item, defaulted = catalogue.user_item(
        {"USER_ID": "7", "FIRST_NAME": "Alan", "LAST_NAME": "Turing", "age": 41}
    )
    assert item == {"id": "7", "firstName": "Alan", "lastName": "Turing", "age": 41}
    assert not defaulted


def test_interaction_counts_are_per_item():
    stats = catalogue.interaction_stats(
        [
            {"USER_ID": "u1", "ITEM_ID": "a"},
            {"USER_ID": "u2", "ITEM_ID": "a"},
            {"asin": "b"},
            {"USER_ID": "u3"},
        ]
    )
    assert stats.popularity == {"a": 2, "b": 1}


def test_star_ratings_come_from_reviews_and_rating_events_only():
    stats = catalogue.interaction_stats(
        [
            {"reviewerID": "u1", "asin": "a", "overall": 5.0},
            {"reviewerID": "u2", "asin": "a", "overall": 4.0},
            {"reviewerID": "u3", "asin": "a", "overall": 4.0},
            {"USER_ID": "u1", "ITEM_ID": "b", "EVENT_TYPE": "rating", "EVENT_VALUE": "2"},
            {"USER_ID": "u2", "ITEM_ID": "b", "EVENT_TYPE": "purchase", "EVENT_VALUE": "19.99"},
            {"USER_ID": "u3", "ITEM_ID": "c", "EVENT_TYPE": "click"},
        ]
    )
    assert stats.rating("a") == (Decimal("4.3"), 3)
    assert stats.rating("b") == (Decimal("2.0"), 1)
    assert stats.rating("c") is None
    item = catalogue.product_item({"asin": "a", "title": "Tent"}, 3, stats.rating("a")).item
    assert (item["rating"], item["ratingCount"], item["popularity"]) == (Decimal("4.3"), 3, 3)
    assert "rating" not in catalogue.product_item({"asin": "c", "title": "Lamp"}, 1, None).item


def test_an_item_with_reviews_is_rated_by_them_and_one_without_by_the_interactions():
    """A shopper who bought a tent twice rated it twice in the interactions but reviewed it once:
    the tent's card shows its reviews' stars and count, as the product page's reviews add up."""
    stats = catalogue.interaction_stats(
        [
            {"USER_ID": "u1", "ITEM_ID": "tent", "EVENT_TYPE": "rating", "EVENT_VALUE": "5"},
            {"USER_ID": "u1", "ITEM_ID": "tent", "EVENT_TYPE": "rating", "EVENT_VALUE": "1"},
            {"USER_ID": "u2", "ITEM_ID": "tent", "EVENT_TYPE": "rating", "EVENT_VALUE": "4"},
            {"USER_ID": "u2", "ITEM_ID": "lamp", "EVENT_TYPE": "rating", "EVENT_VALUE": "2"},
            {"USER_ID": "u3", "ITEM_ID": "mug", "EVENT_TYPE": "rating", "EVENT_VALUE": "3"},
        ]
    )
    assert stats.rating("tent") == (Decimal("3.3"), 3)
    stats.rate_from_reviews(
        [
            _review("tent", 1_600_000_000, stars=5.0) | {"reviewerID": "u1"},
            _review("tent", 1_600_000_100, stars=4.0) | {"reviewerID": "u2"},
            {"asin": "mug", "reviewerID": "u3", "reviewText": "No stars given", "unixReviewTime": 1},
            _review("desk", 1_600_000_200, stars=1.0),
        ]
    )
    assert stats.rating("tent") == (Decimal("4.5"), 2)
    assert stats.rating("lamp") == (Decimal("2.0"), 1)  # no review: the interactions' rating
    assert stats.rating("mug") == (Decimal("3.0"), 1)  # a review without stars rates nothing
    assert stats.rating("desk") == (Decimal("1.0"), 1)
    assert stats.popularity == {"tent": 3, "lamp": 1, "mug": 1}  # popularity stays the interactions'
    assert [review["stars"] for review in stats.reviews.of("tent")] == [4, 5]


def _review(asin: str, when: int, stars: float = 4.0, **words: str) -> dict:
    return {"asin": asin, "reviewerID": f"u{when}", "overall": stars, "unixReviewTime": when,
            "reviewerName": f"Reviewer {when}", "summary": f"Headline {when}", "reviewText": f"Text {when}", **words}  # fmt: skip


def test_an_item_keeps_its_three_newest_reviews_newest_first_whatever_the_order():
    reviews = catalogue.NewestReviews()
    for when in (1_600_000_500, 1_600_000_100, 1_600_000_900, 1_600_000_300, 1_600_000_700):
        reviews.add(_review("a", when))
    reviews.add(_review("b", 1_500_000_000, stars=2.0))
    assert [review["headline"] for review in reviews.of("a")] == [
        "Headline 1600000900", "Headline 1600000700", "Headline 1600000500",
    ]  # fmt: skip
    assert reviews.of("b") == [
        {"stars": 2, "date": "2017-07-14", "name": "Reviewer 1500000000", "headline": "Headline 1500000000",
         "text": "Text 1500000000"},
    ]  # fmt: skip
    assert reviews.of("c") == [] and len(reviews) == 2


def test_ratings_without_words_bad_stars_or_no_time_are_not_reviews():
    reviews = catalogue.NewestReviews()
    reviews.add({"asin": "a", "overall": 5.0, "unixReviewTime": 1})  # a rating, no words
    reviews.add(
        {"USER_ID": "u", "ITEM_ID": "a", "TIMESTAMP": "2", "EVENT_TYPE": "rating", "EVENT_VALUE": "4"}
    )
    reviews.add(_review("a", 3, stars=0.0))
    reviews.add(_review("a", 4, stars=7.0))
    reviews.add({"asin": "a", "overall": 3.0, "summary": "No time"})
    reviews.add({"overall": 3.0, "summary": "No item", "unixReviewTime": 5})
    assert reviews.of("a") == []
    reviews.add({"asin": "a", "overall": 3.0, "reviewTime": "06 17, 2018", "summary": "Only a headline"})
    assert reviews.of("a") == [{"stars": 3, "date": "2018-06-17", "headline": "Only a headline"}]


def test_review_words_are_cut_to_display_length_at_a_word():
    long_text = "word " * 400  # 2,000 characters
    reviews = catalogue.NewestReviews()
    reviews.add(_review("a", 1, reviewText=long_text, summary="x" * 300, reviewerName="  Ana   &amp; Bo  "))
    (review,) = reviews.of("a")
    assert len(review["text"]) <= catalogue.MAX_REVIEW_TEXT_LENGTH and review["text"].endswith("word…")
    assert len(review["headline"]) == catalogue.MAX_REVIEW_HEADLINE_LENGTH and review["headline"].endswith(
        "…"
    )
    assert review["name"] == "Ana & Bo"


def test_only_wanted_items_keep_reviews_and_stats_collect_them_in_the_same_pass():
    reviews = catalogue.NewestReviews(wanted=lambda asin: asin != "b")
    stats = catalogue.interaction_stats(
        [_review("a", 1, 5.0), _review("b", 2, 1.0), _review("a", 3, 4.0)], reviews
    )
    assert stats.popularity == {"a": 2, "b": 1} and stats.rating("b") == (Decimal("1.0"), 1)
    assert [review["date"] for review in stats.reviews.of("a")] == ["1970-01-01", "1970-01-01"]
    assert [review["stars"] for review in stats.reviews.of("a")] == [4, 5] and stats.reviews.of("b") == []
    item = catalogue.product_item(
        {"asin": "a", "title": "Tent"}, 2, stats.rating("a"), stats.reviews.of("a")
    ).item
    assert [review["headline"] for review in item["reviews"]] == ["Headline 3", "Headline 1"]
    # A catalogue's own `reviews` field is not taken for the loader's.
    assert "reviews" not in catalogue.product_item({"asin": "c", "title": "Lamp", "reviews": ["great"]}).item
