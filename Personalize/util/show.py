"""Recommendations as a participant sees them in the store: thumbnails with titles and scores.

A table of item ids says little in a workshop; a grid of product pictures shows at a glance whether
the recommendations fit the shopper, and two grids side by side show what a change did.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

import pandas as pd
from IPython.display import HTML


def _card(item_id: str, product: pd.Series | None, score: float | None) -> str:
    title = html.escape(str(product["TITLE"])) if product is not None else html.escape(item_id)
    image = product["IMAGE_URL"] if product is not None and isinstance(product["IMAGE_URL"], str) else ""
    picture = f'<img src="{html.escape(image)}" alt="" style="height:90px;max-width:100%;object-fit:contain">'
    scored = f"<br><small>score {score:.4f}</small>" if score is not None else ""
    return (
        '<div style="width:140px;display:inline-block;vertical-align:top;margin:4px;font-size:12px">'
        f"{picture if image else ''}<br>{title}{scored}</div>"
    )


def grid_html(catalogue: pd.DataFrame, item_list: Iterable[Mapping | str]) -> str:
    """The cards of `item_list` (GetRecommendations' itemList entries, or item ids) in order;
    `catalogue` is indexed by ITEM_ID with TITLE and IMAGE_URL (util.dataformat.read_items)."""
    cards = []
    for entry in item_list:
        item_id = entry if isinstance(entry, str) else entry["itemId"]
        score = None if isinstance(entry, str) else entry.get("score")
        product = catalogue.loc[item_id] if item_id in catalogue.index else None
        cards.append(_card(item_id, product, score))
    return "<div>" + "".join(cards) + "</div>"


def grid(catalogue: pd.DataFrame, item_list: Iterable[Mapping | str]) -> HTML:
    """`grid_html`, displayed by the notebook."""
    return HTML(grid_html(catalogue, item_list))


def side_by_side(catalogue: pd.DataFrame, **lists: Iterable[Mapping | str]) -> HTML:
    """One column per named list (e.g. before=..., after=...), for comparing them."""
    columns = "".join(
        f'<td style="vertical-align:top"><b>{html.escape(name)}</b>{grid_html(catalogue, items)}</td>'
        for name, items in lists.items()
    )
    return HTML(f"<table><tr>{columns}</tr></table>")
