"""allstore.data.catalogue_check: the default generated store reads like a real one, and the scan
finds what a shopper would notice when it is there."""

from __future__ import annotations

import gzip
import json

import pytest

from allstore.data import catalogue_check, synthetic


@pytest.fixture(scope="module")
def default_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("default-store")
    synthetic.write_store(synthetic.generate_store(), folder)  # 5,000 products, 200,000 interactions, seed 42
    return folder


def test_the_default_store_has_nothing_a_shopper_would_notice(default_store):
    assert catalogue_check.check_store(default_store) == []
    assert catalogue_check.main([str(default_store)]) == 0


def _product(asin: str, title: str, brand: str, leaf_path: list[str], features: list[str], description=None):
    return {"asin": asin, "title": title, "brand": brand, "category": leaf_path, "feature": features,
            "description": description or [f"The {title}."]}  # fmt: skip


def _write(folder, products, reviews, interactions):
    with gzip.open(folder / synthetic.PRODUCTS_FILE, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(product) + "\n" for product in products)
    with gzip.open(folder / synthetic.REVIEWS_FILE, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(review) + "\n" for review in reviews)
    rows = "".join(f"{user},{asin},{when},rating,{stars}\n" for user, asin, when, stars in interactions)
    (folder / synthetic.INTERACTIONS_FILE).write_text(
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n" + rows
    )


def _review(user: str, asin: str, stars: float, when: int) -> dict:
    return {"reviewerID": user, "asin": asin, "overall": stars, "unixReviewTime": when, "summary": "Fine",
            "reviewText": "Fine."}  # fmt: skip


def test_the_scan_reports_each_kind_of_violation(tmp_path):
    cables = ["Electronics", "Accessories", "Cables"]
    speakers = ["Electronics", "Audio", "Speakers"]
    _write(
        tmp_path,
        [
            _product(
                "B001",
                "Northvale Wireless HDMI Cable, 6 ft",
                "Northvale",
                cables,
                ["Up to 30 hours of battery life", "Braided nylon jacket"],
            ),
            _product("B002", "Northvale Pro HDMI Cable", "Northvale", cables, ["Braided nylon jacket"]),
            _product("B003", "Northvale Pro HDMI Cable", "Northvale", cables, ["Braided nylon jacket"]),
            _product(
                "B004",
                "Stonefield Smart Smart Bulb",
                "Stonefield",
                ["Electronics", "Smart Home", "Smart Lighting"],
                ["No hub required"],
            ),
            _product(
                "B005",
                "Rivercrest Ultra Soundbar",
                "Rivercrest",
                speakers,
                ["560° sound"],
                ["Meet the Compact Soundbar from Rivercrest, designed for travel."],
            ),
            _product("B006", "Acme Ultra Bluetooth Speaker", "Rivercrest", speakers, ["360° sound"]),
            _product(
                "B007",
                "Oakline Classic Skateboard",
                "Oakline",
                ["Toys & Games", "Outdoor Play", "Ride-Ons"],
                ["Non-slip deck", "Sturdy storage box included"],
                ["The Oakline Classic Skateboard: made for family game night."],
            ),
        ],
        [
            _review("u1", "B001", 5.0, 100),
            _review("u1", "B001", 1.0, 200),  # the same shopper again
            _review("u2", "B999", 4.0, 300),  # not in the catalogue
        ],
        [("u1", "B001", 100, 5), ("u1", "B001", 200, 1), ("u2", "B002", 150, 4)],  # B002: a rating, no review
    )
    found = "\n".join(catalogue_check.check_store(tmp_path))
    for expected in (
        "B001: adjective 'Wireless' does not fit a HDMI Cable",
        "B001: feature 'Up to 30 hours of battery life' does not fit a HDMI Cable",
        "B002: title 'Northvale Pro HDMI Cable' is not unique in the store",
        "B003: title 'Northvale Pro HDMI Cable' is not unique in the store",
        "B004: title 'Stonefield Smart Smart Bulb' repeats smart",
        "B005: feature '560° sound': no Soundbar has that",
        "B005: the description calls the 'Rivercrest Ultra Soundbar' 'Compact'",
        "B006: title 'Acme Ultra Bluetooth Speaker' does not start with its brand 'Rivercrest'",
        "B001: reviewed 2 times by u1",
        "B999: reviewed but not in the catalogue",
        "B002: the card shows 4.0 stars from 1, its reviews give no rating",
        "B007: feature 'Sturdy storage box included' does not fit a Skateboard",
        "B007: description 'The Oakline Classic Skateboard: made for family game night.' does not fit",
    ):
        assert expected in found
    assert (
        "B006: feature" not in found and "B002: adjective" not in found and "B007: feature 'Non" not in found
    )
    assert catalogue_check.main([str(tmp_path)]) == 1
    assert catalogue_check.main([]) == 2
