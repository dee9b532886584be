"""The synthetic store: a catalogue, shoppers and a year of their interactions, from one seed.

It stands in for the licensed Amazon data so the store, the notebooks and the benchmarks work
offline, and it is written in the same formats as the real data so every reader is exercised.
The interactions carry the structure a recommender can learn, so a good model measurably beats
popularity:
- taste clusters: each shopper leans towards a few categories (and brands) of one or two departments;
- a long-tailed popularity (Zipf-like), within and across categories;
- sessions: a burst of events minutes apart, usually staying in a category or moving to a related
  one (tents, then sleeping bags); sessions days or weeks apart spread over months;
- repeat purchases, most often for consumables (grocery).
Everything is vectorised with numpy (the only Python loops are over positions within a session,
clusters and output lines), so a million interactions take seconds.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from allstore.data import images, vocabulary

PRODUCTS_FILE = "products.json.gz"  # UCSD 2018 metadata JSON lines
REVIEWS_FILE = "reviews.json.gz"  # UCSD review JSON lines
INTERACTIONS_FILE = "interactions.csv"  # Personalize USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE
USERS_FILE = "users.json"  # demo users JSON lines: id, firstName, lastName
IMAGES_DIR = "images"  # SVG pictures, referenced as /images/<file>.svg
IMAGE_URL_PREFIX = "/images/"
WRITE_BATCH_LINES = 10_000
GZIP_LEVEL = 5  # level 9 takes four times as long for files 5% smaller
EVENT_TYPE = "rating"  # every event is a review; its EVENT_VALUE is the star rating
REVIEW_TEXT_STREAM, REVIEWER_NAME_STREAM = 1, 2  # seed the reviews' words apart from the products'

DEFAULT_ITEMS = 5_000
DEFAULT_INTERACTIONS = 200_000
DEFAULT_SEED = 42
DEMO_USERS = 50
MIN_EVENTS_PER_USER = 3  # enough to hold one out and still train on the rest
MIN_EVENTS_PER_DEMO_USER = 12  # demo users show a visible history in the store
START = int(np.datetime64("2023-01-01T00:00:00", "s").astype(np.int64))
PERIOD_SECONDS = 365 * 86_400

MEAN_SESSION_LENGTH = 3.0
SESSION_GAP_SECONDS = 90.0  # mean time between events in a session
SAME_CATEGORY = 0.55  # next event in a session: same leaf category ...
RELATED_CATEGORY = 0.20  # ... a related category; otherwise back to the shopper's tastes
REPEAT_BASE = 0.02  # chance an event re-buys an earlier item, plus the department's repeat rate


@dataclass(frozen=True)
class Leaf:
    """A leaf category: where a product sits in the tree, and what it is called."""

    path: tuple[str, ...]  # department, sub-category, leaf
    department: int
    nouns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path[-1]


def leaves() -> list[Leaf]:
    return [
        Leaf((department.name, sub, leaf), index, nouns)
        for index, department in enumerate(vocabulary.DEPARTMENTS)
        for sub, leaf_nouns in department.categories.items()
        for leaf, nouns in leaf_nouns.items()
    ]


@dataclass(frozen=True)
class Catalogue:
    """Products as parallel arrays; text is produced when the products file is written."""

    asins: np.ndarray  # str
    leaf: np.ndarray  # int: index into `leaves()`
    brand: np.ndarray  # int: index into `brand_names`
    popularity: np.ndarray  # float, sums to 1
    quality: np.ndarray  # float: shifts the star ratings of the product
    prices: np.ndarray  # float dollars, NaN when the listing has no price
    image_variant: np.ndarray  # int
    brand_names: list[str]
    text_seed: int  # for the wording of titles, descriptions and features


@dataclass(frozen=True)
class Events:
    """Interactions, sorted by user and then time."""

    user: np.ndarray  # int: index into the user ids
    item: np.ndarray  # int: index into the catalogue
    timestamp: np.ndarray  # int64 unix seconds
    rating: np.ndarray  # int 1..5


@dataclass(frozen=True)
class Store:
    catalogue: Catalogue
    user_ids: np.ndarray  # str
    events: Events


def generate_store(
    items: int = DEFAULT_ITEMS,
    interactions: int = DEFAULT_INTERACTIONS,
    users: int | None = None,
    seed: int = DEFAULT_SEED,
) -> Store:
    """Build the store in memory. The same arguments always give the same store."""
    if items < 1 or interactions < 1:
        raise ValueError("a store needs at least one item and one interaction")
    users = users or max(1, interactions // 20)
    users = min(users, max(1, interactions // MIN_EVENTS_PER_USER))
    # Independent streams: changing the interaction count leaves the catalogue as it was.
    catalogue_rng, users_rng, events_rng = _streams(seed)
    catalogue = _catalogue(items, catalogue_rng)
    user_ids = _ids("A", 12, users, users_rng)
    events = _events(catalogue, users, interactions, users_rng, events_rng)
    return Store(catalogue, user_ids, events)


def generate_catalogue(items: int = DEFAULT_ITEMS, seed: int = DEFAULT_SEED) -> Catalogue:
    """The catalogue `generate_store(items, ..., seed=seed)` has, whatever its interaction count,
    without generating the interactions (a benchmark's cached store keeps only ids and events)."""
    if items < 1:
        raise ValueError("a store needs at least one item and one interaction")
    return _catalogue(items, _streams(seed)[0])


def _streams(seed: int) -> tuple[np.random.Generator, ...]:
    """The catalogue's, the users' and the events' random streams of a seed."""
    return tuple(np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3))


def item_metadata(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """The products as Items dataset rows, {ITEM_ID: {CATEGORY_L1..L3, BRAND}}: what
    `allstore.data.item_metadata.read_item_metadata` reads from the products file, without writing
    and parsing its text (seconds for 300k products instead of minutes)."""
    tree = leaves()
    paths = [{f"CATEGORY_L{level}": name for level, name in enumerate(node.path, 1)} for node in tree]
    return {
        asin: {**paths[leaf], "BRAND": catalogue.brand_names[brand]}
        for asin, leaf, brand in zip(
            catalogue.asins.tolist(), catalogue.leaf.tolist(), catalogue.brand.tolist(), strict=True
        )
    }


ACTION_EVENT_TYPES = ("TAKEN", "NOT_TAKEN", "VIEWED")
ACTION_TAKE_RATE = 0.3  # of an average product's offers; better products are taken more often
ACTION_DECLINE_SHARE = 0.4  # of the offers not taken, the share turned down (the rest only seen)
ACTION_REPEAT_DAYS = 30  # a consumable's offer may be taken again after a month
ACTION_STREAM = 3  # the action interactions' random stream, apart from the store's


def action_interactions(
    catalogue: Catalogue, item: np.ndarray, seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """Next-Best-Action data of the same size as the store: each product doubles as an action (an
    offer for it), each interaction with it as an action interaction, so the Action interactions
    dataset has as many rows as the Item interactions one and the Actions dataset as many rows as
    the catalogue. Returns each interaction's event type (int8 codes into ACTION_EVENT_TYPES: TAKEN
    more often for better products, else NOT_TAKEN or VIEWED) and the Actions dataset's rows,
    {ACTION_ID: {VALUE: price, REPEAT_FREQUENCY: days}}, a repeat frequency for consumables only."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(ACTION_STREAM + 1)[ACTION_STREAM])
    take_rate = np.clip(ACTION_TAKE_RATE * np.exp(catalogue.quality), 0.02, 0.9)[item]
    draw = rng.random(len(item))
    types = np.where(
        draw < take_rate, 0, np.where(rng.random(len(item)) < ACTION_DECLINE_SHARE, 1, 2)
    ).astype(np.int8)
    repeats = np.array([department.repeat_rate >= 0.1 for department in vocabulary.DEPARTMENTS])
    leaf_department = np.array([node.department for node in leaves()])
    consumable = repeats[leaf_department[catalogue.leaf]]
    rows: dict[str, dict[str, float]] = {}
    for asin, price, repeat in zip(
        catalogue.asins.tolist(), catalogue.prices.tolist(), consumable.tolist(), strict=True
    ):
        row = {"VALUE": 0.0 if price != price else price}  # NaN: no price listed, no value
        if repeat:
            row["REPEAT_FREQUENCY"] = float(ACTION_REPEAT_DAYS)
        rows[asin] = row
    return types, rows


# --- Catalogue -------------------------------------------------------------------------------------


def _ids(prefix: str, width: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct random ids like Amazon's (`B0` + 8 characters for products, `A` + 12 for users)."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    ids = np.char.add(prefix, _random_text(alphabet, width, count, rng))
    while True:  # a collision is rare (36**8 codes); draw the duplicates again until none is left
        _, first = np.unique(ids, return_index=True)
        duplicate = np.setdiff1d(np.arange(count), first)
        if not len(duplicate):
            return ids
        ids[duplicate] = np.char.add(prefix, _random_text(alphabet, width, len(duplicate), rng))


def _random_text(alphabet: np.ndarray, width: int, count: int, rng: np.random.Generator) -> np.ndarray:
    characters = alphabet[rng.integers(len(alphabet), size=(count, width))]
    return np.ascontiguousarray(characters).view(f"<U{width}").ravel()


def _brand_names(count: int, rng: np.random.Generator) -> list[str]:
    combos = [
        start + end + suffix
        for suffix in vocabulary.BRAND_SUFFIXES
        for start in vocabulary.BRAND_STARTS
        for end in vocabulary.BRAND_ENDS
    ]
    plain = len(vocabulary.BRAND_STARTS) * len(vocabulary.BRAND_ENDS)
    # Prefer suffix-free names; suffixed ones only when a big catalogue needs more brands.
    order = np.r_[rng.permutation(plain), plain + rng.permutation(len(combos) - plain)]
    return [combos[index] for index in order[: min(count, len(combos))]]


def _catalogue(n_items: int, rng: np.random.Generator) -> Catalogue:
    tree = leaves()
    departments = vocabulary.DEPARTMENTS
    leaf_share = rng.dirichlet(np.full(len(tree), 3.0))
    leaf = rng.choice(len(tree), size=n_items, p=leaf_share)

    # Brands belong to one department; a few big brands make most of a department's products.
    brand_names = _brand_names(int(np.clip(n_items // 40, 3 * len(departments), 3_000)), rng)
    brand_department = np.arange(len(brand_names)) % len(departments)
    leaf_department = np.array([node.department for node in tree])
    brand = np.empty(n_items, dtype=np.int64)
    for department in range(len(departments)):
        own = np.flatnonzero(brand_department == department)
        products = np.flatnonzero(leaf_department[leaf] == department)
        weights = 1.0 / np.arange(1, len(own) + 1) ** 0.8
        brand[products] = rng.choice(own, size=len(products), p=weights / weights.sum())

    rank = rng.permutation(n_items)
    popularity = 1.0 / (rank + 5.0) ** 0.9
    popularity /= popularity.sum()
    brand_tier = rng.lognormal(0.0, 0.3, size=len(brand_names))
    median = np.array([department.median_price for department in departments])[leaf_department[leaf]]
    prices = np.round(median * brand_tier[brand] * rng.lognormal(0.0, 0.45, size=n_items)) - 0.01
    prices = np.where(rng.random(n_items) < 0.03, np.nan, np.maximum(prices, 1.99))
    return Catalogue(
        asins=_ids("B0", 8, n_items, rng),
        leaf=leaf,
        brand=brand,
        popularity=popularity,
        quality=rng.normal(0.0, 0.35, size=n_items),
        prices=prices,
        image_variant=rng.integers(images.VARIANTS, size=n_items),
        brand_names=brand_names,
        text_seed=int(rng.integers(1 << 30)),
    )


# --- Shoppers and their events ---------------------------------------------------------------------


def _events(
    catalogue: Catalogue,
    n_users: int,
    n_events: int,
    users_rng: np.random.Generator,
    rng: np.random.Generator,
) -> Events:
    tree = leaves()
    n_leaves = len(tree)
    leaf_department = np.array([node.department for node in tree])
    n_departments = len(vocabulary.DEPARTMENTS)

    # Taste clusters: category weights concentrated on one department (sometimes two) and a few
    # favourite brands there.
    n_clusters = int(np.clip(n_users // 40, 4, 40))
    main_department = users_rng.integers(n_departments, size=n_clusters)
    leaf_weights = np.full((n_clusters, n_leaves), 0.002)
    for cluster in range(n_clusters):
        second = users_rng.integers(n_departments)
        for department, share in ((main_department[cluster], 1.0), (second, 0.35)):
            members = np.flatnonzero(leaf_department == department)
            leaf_weights[cluster, members] += share * users_rng.dirichlet(np.full(len(members), 0.5))
    brand_boost = np.ones((n_clusters, len(catalogue.brand_names)))
    for cluster in range(n_clusters):
        favourites = users_rng.choice(len(catalogue.brand_names), size=min(8, len(catalogue.brand_names)))
        brand_boost[cluster, favourites] = 6.0

    # Shoppers: a cluster each, and a long-tailed number of events (demo users are active ones).
    user_cluster = users_rng.integers(n_clusters, size=n_users)
    per_user = _events_per_user(n_users, n_events, users_rng)
    user = np.repeat(np.arange(n_users), per_user)
    first_of_user = np.r_[0, np.cumsum(per_user)[:-1]]
    position = np.arange(n_events) - np.repeat(first_of_user, per_user)

    # Sessions: a new one starts at a user's first event and then with probability 1/mean length.
    session_start = (position == 0) | (rng.random(n_events) < 1.0 / MEAN_SESSION_LENGTH)
    session = np.cumsum(session_start) - 1
    session_first = np.flatnonzero(session_start)
    in_session = np.arange(n_events) - session_first[session]
    choice = rng.random(n_events)
    same_leaf = ~session_start & (choice < SAME_CATEGORY)
    related_leaf = ~session_start & (choice >= SAME_CATEGORY) & (choice < SAME_CATEGORY + RELATED_CATEGORY)
    from_tastes = ~(same_leaf | related_leaf)

    item = np.full(n_events, -1, dtype=np.int64)
    cluster_of_event = user_cluster[user]
    for cluster in range(n_clusters):
        wanted = np.flatnonzero(from_tastes & (cluster_of_event == cluster))
        weights = leaf_weights[cluster, catalogue.leaf] * catalogue.popularity
        weights *= brand_boost[cluster, catalogue.brand]
        item[wanted] = _sample(np.cumsum(weights), rng.random(len(wanted)))

    by_leaf = _LeafSampler(catalogue, n_leaves)
    related = _related_leaves(leaf_department, rng)
    for step in range(1, int(in_session.max(initial=0)) + 1):
        follows = np.flatnonzero((in_session == step) & ~from_tastes)
        previous_leaf = catalogue.leaf[item[follows - 1]]
        pick_related = related_leaf[follows]
        target = previous_leaf.copy()
        target[pick_related] = related[previous_leaf[pick_related], rng.integers(2, size=pick_related.sum())]
        item[follows] = by_leaf.sample(target, rng.random(len(follows)), fallback=item[follows - 1])

    item = _with_repeats(item, position, main_department[cluster_of_event], rng)
    timestamp = _timestamps(user, per_user, session, session_start, rng)
    stars = 4.1 + catalogue.quality[item] + rng.normal(0.0, 0.9, size=n_events)
    stars += np.where(leaf_department[catalogue.leaf[item]] == main_department[cluster_of_event], 0.3, -0.2)
    rating = np.clip(np.rint(stars), 1, 5).astype(np.int64)
    return Events(user=user, item=item, timestamp=timestamp, rating=rating)


def _events_per_user(n_users: int, n_events: int, rng: np.random.Generator) -> np.ndarray:
    """A long-tailed activity per user, at least the minimum each, summing exactly to `n_events`."""
    floor = np.full(n_users, MIN_EVENTS_PER_USER, dtype=np.int64)
    floor[: min(DEMO_USERS, n_users)] = MIN_EVENTS_PER_DEMO_USER
    floor = np.minimum(floor, max(1, n_events // n_users))
    spare = n_events - int(floor.sum())
    activity = rng.lognormal(0.0, 1.0, size=n_users)
    extra = np.floor(activity / activity.sum() * spare).astype(np.int64)
    remainder = spare - int(extra.sum())
    extra[rng.choice(n_users, size=remainder, replace=remainder > n_users)] += 1
    return floor + extra


def _sample(cumulative: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Indices drawn with probability proportional to the weights whose running sum is given."""
    draws = np.searchsorted(cumulative, uniform * cumulative[-1], side="right")
    return np.minimum(draws, len(cumulative) - 1)


class _LeafSampler:
    """Draws a product of a given leaf category, by popularity, for many events at once."""

    def __init__(self, catalogue: Catalogue, n_leaves: int) -> None:
        self.order = np.argsort(catalogue.leaf, kind="stable")
        sorted_weights = catalogue.popularity[self.order]
        self.cumulative = np.cumsum(sorted_weights)
        counts = np.bincount(catalogue.leaf, minlength=n_leaves)
        self.end = np.cumsum(counts)
        self.start = self.end - counts
        self.low = np.where(self.start > 0, self.cumulative[self.start - 1], 0.0)
        self.high = np.where(self.end > 0, self.cumulative[np.maximum(self.end - 1, 0)], 0.0)

    def sample(self, leaf: np.ndarray, uniform: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """One product of each `leaf`; `fallback` where that leaf has no products."""
        empty = self.start[leaf] == self.end[leaf]
        target = self.low[leaf] + uniform * (self.high[leaf] - self.low[leaf])
        position = np.searchsorted(self.cumulative, target, side="right")
        position = np.clip(position, self.start[leaf], np.maximum(self.end[leaf] - 1, 0))
        return np.where(empty, fallback, self.order[position])


def _related_leaves(leaf_department: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two related categories per leaf, from its own department (tents -> sleeping bags)."""
    related = np.empty((len(leaf_department), 2), dtype=np.int64)
    for leaf, department in enumerate(leaf_department):
        others = np.flatnonzero((leaf_department == department) & (np.arange(len(leaf_department)) != leaf))
        related[leaf] = rng.choice(others, size=2, replace=len(others) < 2) if len(others) else leaf
    return related


def _with_repeats(
    item: np.ndarray, position: np.ndarray, department: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Some events buy again an item from earlier in the same shopper's history."""
    repeat_rate = np.array([d.repeat_rate for d in vocabulary.DEPARTMENTS])[department] + REPEAT_BASE
    repeats = np.flatnonzero((position > 0) & (rng.random(len(item)) < repeat_rate))
    source = repeats - 1 - np.floor(rng.random(len(repeats)) * position[repeats]).astype(np.int64)
    item = item.copy()
    for _ in range(len(repeats)):  # a repeat of a repeat resolves in a few passes
        resolved = item[source]
        if np.array_equal(item[repeats], resolved):
            break
        item[repeats] = resolved
    return item


def _timestamps(
    user: np.ndarray,
    per_user: np.ndarray,
    session: np.ndarray,
    session_start: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sessions spread over each shopper's months of activity; events minutes apart inside them."""
    n_users = len(per_user)
    active_from = START + rng.random(n_users) * 0.8 * PERIOD_SECONDS
    active_for = (START + PERIOD_SECONDS - active_from) * rng.uniform(0.15, 1.0, size=n_users)
    session_user = user[session_start]
    when = active_from[session_user] + rng.random(len(session_user)) * active_for[session_user]
    session_time = when[np.lexsort((when, session_user))]  # each user's sessions in time order
    gaps = np.where(session_start, 0.0, rng.exponential(SESSION_GAP_SECONDS, size=len(user)))
    elapsed = np.cumsum(gaps)
    since_session_start = elapsed - elapsed[np.flatnonzero(session_start)][session]
    seconds = (session_time[session] + since_session_start).astype(np.int64)
    # A long session may run past the next one's start: keep each user's events in order.
    offset = user.astype(np.int64) * (4 * PERIOD_SECONDS)
    return np.maximum.accumulate(seconds - START + offset) - offset + START


# --- Files -----------------------------------------------------------------------------------------


def write_store(store: Store, folder: str | os.PathLike) -> dict[str, Path]:
    """Write every file of the store into `folder`; returns the paths by file name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tree = leaves()
    images.write_category_images(
        folder / IMAGES_DIR,
        [
            (
                node.name,
                node.path[0],
                vocabulary.DEPARTMENTS[node.department].hue,
                vocabulary.LEAF_ICONS.get(node.name),
            )
            for node in tree
        ],
    )
    paths = {
        PRODUCTS_FILE: _write_lines(
            folder / PRODUCTS_FILE, _product_lines(store.catalogue, tree), compress=True
        ),
        REVIEWS_FILE: _write_lines(folder / REVIEWS_FILE, _review_lines(store), compress=True),
        INTERACTIONS_FILE: _write_lines(folder / INTERACTIONS_FILE, _interaction_rows(store)),
        USERS_FILE: _write_lines(folder / USERS_FILE, _user_lines(store.user_ids)),
        IMAGES_DIR: folder / IMAGES_DIR,
    }
    return paths


def _write_lines(path: Path, lines: Iterable[str], compress: bool = False) -> Path:
    """Stream `lines` into a file, a batch at a time (millions of lines need not fit in memory)."""
    with open(path, "wb") as raw:
        # mtime=0 and no file name in the gzip header: the same store gives byte-identical files.
        out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)
            if compress
            else raw
        )
        with out:
            lines = iter(lines)
            while batch := list(itertools.islice(lines, WRITE_BATCH_LINES)):
                out.write("".join(batch).encode("utf-8"))
    return path


def _text_picks(catalogue: Catalogue) -> np.ndarray:
    """Per product, the seven draws its wording is chosen by (the first picks its noun)."""
    return np.random.default_rng(catalogue.text_seed).integers(1 << 30, size=(len(catalogue.asins), 7))


def _product_nouns(catalogue: Catalogue, tree: list[Leaf]) -> list[str]:
    """Each product's noun ("Dome Tent"), as its title has it."""
    return [
        tree[leaf].nouns[pick % len(tree[leaf].nouns)]
        for leaf, pick in zip(catalogue.leaf.tolist(), _text_picks(catalogue)[:, 0].tolist(), strict=True)
    ]


def _product_lines(catalogue: Catalogue, tree: list[Leaf]) -> Iterator[str]:
    picks = _text_picks(catalogue).tolist()
    image_names = [
        [IMAGE_URL_PREFIX + images.image_file_name(node.name, variant) for variant in range(images.VARIANTS)]
        for node in tree
    ]
    prices = catalogue.prices.tolist()
    titles: set[str] = set()
    for asin, leaf, brand_index, variant, price, (a, b, c, d, e, f, g) in zip(
        catalogue.asins.tolist(),
        catalogue.leaf.tolist(),
        catalogue.brand.tolist(),
        catalogue.image_variant.tolist(),
        prices,
        picks,
        strict=True,
    ):
        node = tree[leaf]
        department = vocabulary.DEPARTMENTS[node.department]
        brand = catalogue.brand_names[brand_index]
        noun = node.nouns[a % len(node.nouns)]
        unfit = vocabulary.LEAF_UNFIT.get(node.name, frozenset()) | vocabulary.NOUN_UNFIT.get(
            noun, frozenset()
        )
        adjectives = _not_repeating(_fitting(department.adjectives, unfit), f"{brand} {noun}")
        variants = _not_repeating(
            _fitting(vocabulary.LEAF_VARIANTS.get(node.name, department.variants), unfit), noun
        )
        title, adjective = _unique_title(titles, brand, adjectives, b, noun, variants, c)
        words = {"brand": brand, "adjective": adjective, "noun": noun, "category": node.name.lower()}
        uses = vocabulary.LEAF_USES.get(node.name, department.uses)
        words["use"] = uses[d % len(uses)]
        description = [
            vocabulary.DESCRIPTION_OPENINGS[d % len(vocabulary.DESCRIPTION_OPENINGS)].format(**words),
            vocabulary.DESCRIPTION_CLOSINGS[e % len(vocabulary.DESCRIPTION_CLOSINGS)].format(**words),
        ]
        specific = vocabulary.NOUN_FEATURES.get(noun, vocabulary.LEAF_FEATURES[node.name])
        start = f % len(specific)
        features = [specific[(start + k) % len(specific)].format(n=2 + (g + k) % 7) for k in range(2 + f % 2)]
        generic = _fitting(department.features, unfit)
        features.append(generic[g % len(generic)].format(n=2 + g % 5))
        product = {
            "asin": asin,
            "title": title,
            "brand": brand,
            "category": list(node.path),
            "main_cat": node.path[0],
            "description": description,
            "feature": features,
            "price": "" if price != price else f"${price:,.2f}",  # NaN: the listing has no price
            "image": [image_names[leaf][variant]],
        }
        yield json.dumps(product, ensure_ascii=False) + "\n"


def _fitting(choices: tuple[str, ...], unfit: frozenset[str]) -> tuple[str, ...]:
    """The adjectives or variants of a department that fit the product (vocabulary's *_UNFIT)."""
    return tuple(choice for choice in choices if choice not in unfit)


def _not_repeating(choices: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The adjectives or variants that repeat no word of `name` (no "Smart Smart Light Strip")."""
    words = set(name.lower().replace("-", " ").split())
    fitting = tuple(choice for choice in choices if not set(choice.lower().replace("-", " ").split()) & words)
    return fitting or ("",)


def _title(brand: str, adjective: str, noun: str, variant: str) -> str:
    name = " ".join(part for part in (brand, adjective, noun) if part)
    return f"{name}, {variant}" if variant else name


def _repeats(title: str) -> bool:
    words = title.lower().replace(",", " ").replace("-", " ").split()
    return len(set(words)) < len(words)


def _unique_title(
    taken: set[str],
    brand: str,
    adjectives: tuple[str, ...],
    adjective_pick: int,
    noun: str,
    variants: tuple[str, ...],
    variant_pick: int,
) -> tuple[str, str]:
    """A title no other product of the store has: the picked wording, else the next adjective and
    variant, else a model number. Adds it to `taken`; returns it with the adjective it has (for the
    description, which names the product as its title does)."""
    with_variant = variant_pick % 10 < 7
    candidates = (
        (_title(brand, adjective, noun, variant), adjective)
        for shift in range(len(adjectives) * len(variants))
        for adjective in [adjectives[(adjective_pick + shift) % len(adjectives)]]
        for variant in [
            variants[(variant_pick + shift // len(adjectives)) % len(variants)]
            if with_variant or shift
            else ""
        ]
    )
    title, adjective = next(
        (candidate for candidate in candidates if candidate[0] not in taken and not _repeats(candidate[0])),
        ("", adjectives[adjective_pick % len(adjectives)]),
    )
    if not title:
        base = _title(brand, adjective, noun, "")
        title = next(f"{base} {model}" for model in itertools.count(2) if f"{base} {model}" not in taken)
    taken.add(title)
    return title, adjective


def first_reviews(events: Events, n_items: int) -> np.ndarray:
    """The events that are reviews: each shopper's first event of each item (a shopper reviews an
    item once, as on a real store; buying it again adds an interaction, not a review). A boolean
    mask over `events`, which are sorted by user and then time."""
    pair = events.user.astype(np.int64) * max(n_items, 1) + events.item
    _, first = np.unique(pair, return_index=True)
    reviewed = np.zeros(len(pair), dtype=bool)
    reviewed[first] = True
    return reviewed


def _review_lines(store: Store) -> Iterator[str]:
    """UCSD review lines (overall, reviewerID, reviewerName, asin, summary, reviewText, reviewTime,
    unixReviewTime), one per shopper and product (`first_reviews`), with words that fit the
    product's department and the stars."""
    events, catalogue, tree = store.events, store.catalogue, leaves()
    unique_days, day_index = np.unique(events.timestamp // 86_400, return_inverse=True)
    iso_days = np.datetime_as_string(unique_days.astype("datetime64[D]")).tolist()
    review_days = [f"{day[5:7]} {day[8:10]}, {day[0:4]}" for day in iso_days]  # UCSD's "MM DD, YYYY"
    users, asins = store.user_ids.tolist(), catalogue.asins.tolist()
    names = [json.dumps(name) for name in _reviewer_names(len(users), catalogue.text_seed)]
    nouns = [_counted(noun) for noun in _product_nouns(catalogue, tree)]
    item_department = [vocabulary.DEPARTMENTS[tree[leaf].department].name for leaf in catalogue.leaf.tolist()]
    item_uses = [
        vocabulary.LEAF_USES.get(tree[leaf].name, vocabulary.DEPARTMENTS[tree[leaf].department].uses)
        for leaf in catalogue.leaf.tolist()
    ]
    rng = np.random.default_rng([catalogue.text_seed, REVIEW_TEXT_STREAM])
    # Drawn for every event, then kept for the reviews: a review's words are those it had when every
    # event was one.
    reviewed = first_reviews(events, len(catalogue.asins))
    picks = rng.integers(1 << 30, size=(len(events.user), 6))[reviewed].tolist()
    writer = _ReviewWriter()
    for user, item, rating, day, when, pick in zip(
        events.user[reviewed].tolist(),
        events.item[reviewed].tolist(),
        events.rating[reviewed].tolist(),
        day_index[reviewed].tolist(),
        events.timestamp[reviewed].tolist(),
        picks,
        strict=True,
    ):
        summary, text = writer.words(rating, item_department[item], nouns[item], pick, item_uses[item])
        yield (
            f'{{"overall": {rating}.0, "reviewerID": "{users[user]}", "reviewerName": {names[user]}, '
            f'"asin": "{asins[item]}", "summary": {json.dumps(summary)}, "reviewText": {json.dumps(text)}, '
            f'"reviewTime": "{review_days[day]}", "unixReviewTime": {when}}}\n'
        )


def _counted(noun: str) -> str:
    """The noun as a review names one product: "dome tent", "pair of wool socks"."""
    unit = vocabulary.REVIEW_UNITS.get(noun)
    return f"{unit} {noun.lower()}" if unit else noun.lower()


def _reviewer_names(n_users: int, text_seed: int) -> list[str]:
    """A display name per shopper ("Maya P.", "Maya Patel" or "Maya"); the demo users' names are
    those of the users file."""
    first, last = vocabulary.FIRST_NAMES, vocabulary.LAST_NAMES
    rng = np.random.default_rng([text_seed, REVIEWER_NAME_STREAM])
    first_pick = rng.integers(len(first), size=n_users)
    last_pick = rng.integers(len(last), size=n_users)
    demo = np.arange(min(DEMO_USERS, n_users))
    first_pick[demo], last_pick[demo] = demo % len(first), (demo * 7 + 3) % len(last)
    style = rng.random(n_users)
    return [
        f"{first[given]} {last[family][0]}."
        if s < 0.6
        else f"{first[given]} {last[family]}"
        if s < 0.85
        else first[given]
        for given, family, s in zip(first_pick.tolist(), last_pick.tolist(), style.tolist(), strict=True)
    ]


class _ReviewWriter:
    """Headlines and short texts for reviews: for `stars`, a department's words, the product's noun
    and what it is for, chosen by six random draws. Words are prepared once per department, not per
    review."""

    def __init__(self) -> None:
        self.praise = {name: _with_lower(lines) for name, lines in vocabulary.REVIEW_PRAISE.items()}
        self.complaints = {name: _with_lower(lines) for name, lines in vocabulary.REVIEW_COMPLAINTS.items()}

    def words(
        self, stars: int, department: str, noun: str, pick: list[int], uses: tuple[str, ...]
    ) -> tuple[str, str]:
        a, b, c, d, e, f = pick
        praise, complaints = self.praise[department], self.complaints[department]
        (liked, liked_lower), (disliked, disliked_lower) = (
            praise[e % len(praise)],
            complaints[e % len(complaints)],
        )
        middle: tuple[str, ...]
        if c % 5 == 0:  # some reviewers write one line
            middle = ()
        elif stars == 5:
            middle = (liked, praise[(e + 1 + f % (len(praise) - 1)) % len(praise)][0]) if f % 2 else (liked,)
        elif stars == 4:
            middle = (liked, f"My only gripe: {disliked_lower}") if f % 3 else (liked,)
        elif stars == 3:
            middle = (f"On the plus side, {liked_lower}", f"But {disliked_lower}")
        elif stars == 2:
            middle = (disliked, f"To be fair, {liked_lower}") if f % 3 == 0 else (disliked,)
        else:
            other = complaints[(e + 1 + f % (len(complaints) - 1)) % len(complaints)][0]
            middle = (disliked, other) if f % 2 else (disliked,)
        openings, closings = vocabulary.REVIEW_OPENINGS[stars], vocabulary.REVIEW_CLOSINGS[stars]
        opening = openings[b % len(openings)].format(noun=noun, use=uses[d % len(uses)])
        closing = closings[c % len(closings)]
        headlines = vocabulary.REVIEW_HEADLINES[stars]
        text = " ".join((opening, *middle, closing)) if closing else " ".join((opening, *middle))
        return headlines[a % len(headlines)].format(noun=noun), text


def _with_lower(sentences: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each sentence with its first letter in lower case, to follow "But ..." or "My only gripe: ..."."""
    return [(sentence, sentence[:1].lower() + sentence[1:]) for sentence in sentences]


def _interaction_rows(store: Store) -> Iterator[str]:
    events = store.events
    order = np.argsort(events.timestamp, kind="stable")  # Personalize imports read best in time order
    users, asins = store.user_ids.tolist(), store.catalogue.asins.tolist()
    yield "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
    for user, item, when, rating in zip(
        events.user[order].tolist(),
        events.item[order].tolist(),
        events.timestamp[order].tolist(),
        events.rating[order].tolist(),
        strict=True,
    ):
        yield f"{users[user]},{asins[item]},{when},{EVENT_TYPE},{rating}\n"


def _user_lines(user_ids: np.ndarray) -> Iterator[str]:
    """The named demo users for the store's log-in list: the first users, who all have histories."""
    first, last = vocabulary.FIRST_NAMES, vocabulary.LAST_NAMES
    for index in range(min(DEMO_USERS, len(user_ids))):
        names = {"firstName": first[index % len(first)], "lastName": last[(index * 7 + 3) % len(last)]}
        yield json.dumps({"id": str(user_ids[index]), **names}) + "\n"
