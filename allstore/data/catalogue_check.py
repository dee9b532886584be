"""Does a generated store read like a real one? A scan of its files for what a shopper would notice.

    python -m allstore.data.catalogue_check FOLDER      # a folder `allstore data generate` wrote

It reports, one line each:
- titles that another product has too, that repeat a word ("Smart Smart Bulb"), or that do not
  start with the product's brand;
- wording that does not fit the product: a claim, adjective, variant or use a product of its kind
  cannot have ("Wireless HDMI Cable", "30 hours of battery life" on a soundbar, a "Coast Guard
  approved" dry bag, "Sterling silver" in "Gold Tone", a tent "made for daily training") or a number
  no such product has ("560° sound");
- reviews: a shopper with two reviews of one product, a review of a product not in the catalogue,
  a product whose card rating (what the set-up loader computes from the files, with the loader's
  own code) is not the mean and count of its reviews.

The rules are this module's own, written from what such products are, not read from the
generator's vocabulary (which only tells which noun a title names), so they check the generator
rather than repeat it. Exit status 1 when anything is found.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from allstore_common import catalogue, records

from allstore.data import synthetic

HEADPHONES = {"Wireless Headphones", "Earbuds", "Over-Ear Headphones", "Sport Earbuds"}
PORTABLE_SPEAKERS = {"Bluetooth Speaker", "Waterproof Speaker"}
TORCHES = {"Headlamp", "Camp Lantern", "Flashlight", "Solar Lantern"}
BIKE_LIGHTS = {"Rear Bike Light", "Front Bike Light", "Bike Light Set"}
CHARGERS = {"USB-C Charger", "Wireless Charger", "Power Bank", "Car Charger"}
ON_BATTERY = HEADPHONES | PORTABLE_SPEAKERS | TORCHES | BIKE_LIGHTS | {"Power Bank"}
SMART_HOME = {"Smart Bulb", "Smart Light Strip", "Smart Switch", "Security Camera", "Video Doorbell",
              "Motion Sensor", "Smart Plug", "Smart Hub", "Outdoor Smart Plug"}  # fmt: skip
CASES = {"Phone Case", "Laptop Sleeve", "Tablet Case", "Camera Bag"}
KNIVES = {"Chef's Knife", "Knife Set"}
CANDLES = {"Scented Candle", "Candle Set"}
OILS = {"Olive Oil", "Avocado Oil", "Sesame Oil"}
PASTA = {"Spaghetti", "Penne"}
SHOES = {"Trail Running Shoe", "Hiking Boot", "Sneaker", "Sandal", "Slip-On Sneaker", "Ankle Boot"}
GARMENTS = {"T-Shirt", "Flannel Shirt", "Polo Shirt", "Henley", "Tank Top", "Tunic", "Long Sleeve Tee",
            "Cardigan", "Rain Jacket", "Fleece Jacket", "Puffer Jacket", "Softshell Jacket", "Puffer Vest",
            "Parka"}  # fmt: skip
KNITS = {"T-Shirt", "Henley", "Polo Shirt", "Tank Top", "Tunic", "Long Sleeve Tee", "Cardigan", "Beanie",
         "Wool Socks", "Running Socks", "Hiking Socks", "Compression Socks"}  # fmt: skip
JEWELRY = {"Pendant Necklace", "Stud Earrings", "Bracelet", "Ring"}
LIQUIDS = OILS | {"Balsamic Vinegar", "Hot Sauce", "Pasta Sauce", "Barbecue Sauce", "Cold Brew Concentrate"}
COUNTED = {"Coffee Pods", "Granola Bars", "Protein Bars", "Fruit & Nut Bars", "Green Tea", "Black Tea",
           "Herbal Tea", "Chai Blend", "Hot Cocoa Mix"}  # fmt: skip
INDOOR_FITNESS = {"Yoga Mat", "Yoga Block", "Yoga Strap", "Meditation Cushion", "Dumbbell Set", "Kettlebell",
                  "Resistance Bands", "Pull-Up Bar", "Jump Rope", "Ab Wheel", "Step Platform", "Agility Ladder"}  # fmt: skip
WEIGHTS = {"Dumbbell Set", "Kettlebell"}
SINGLE_ORIGIN = {"Whole Bean Coffee", "Ground Coffee", "Coffee Pods", "Cold Brew Concentrate", "Green Tea",
                 "Black Tea", "Drinking Chocolate", "Olive Oil", "Smoked Paprika", "Ground Cumin",
                 "Sea Salt Flakes", "Basmati Rice", "Quinoa", "Roasted Almonds", "Pistachios"}  # fmt: skip
CAMPING = {"Tents", "Sleeping Bags", "Backpacks", "Camp Kitchen", "Lighting"}  # leaf categories from here
CYCLING = {"Bike Lights", "Helmets", "Bike Accessories", "Repair & Maintenance"}
FITNESS = {"Yoga", "Strength Training", "Cardio"}
KITCHEN = {"Cookware", "Cutlery", "Coffee & Tea Makers", "Bakeware"}
BEDDING = {"Sheets", "Pillows", "Blankets"}
BEVERAGES = {"Coffee", "Tea", "Hot Cocoa"}
PANTRY = {"Oils & Vinegars", "Pasta & Grains", "Herbs & Spices", "Sauces"}
SMART_HOME_LEAVES = {"Smart Lighting", "Security", "Plugs & Hubs"}
OUTDOOR_TOYS = {"Kites & Flying Toys", "Ride-Ons"}
ROASTABLE = {"Whole Bean Coffee", "Ground Coffee", "Coffee Pods", "Cold Brew Concentrate", "Trail Mix",
             "Cashew Mix", "Pistachios", "Ground Cumin", "Smoked Paprika", "Sesame Oil", "Green Tea",
             "Hot Sauce", "Pasta Sauce", "Barbecue Sauce", "Curry Paste"}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """Text matching `pattern` in a title's `part` (adjective, variant), a feature bullet or a
    description sentence fits only the `nouns` named, products by their noun or leaf category
    (None: none is banned, only `unless` ones are)."""

    part: str
    pattern: str
    nouns: frozenset[str] | None = None
    unless: frozenset[str] = frozenset()

    def fits(self, noun: str, leaf: str) -> bool:
        kinds = {noun, leaf}
        return (self.nouns is None or bool(kinds & self.nouns)) and not kinds & self.unless


def _rule(part: str, pattern: str, nouns: Iterable[str] | None = None, unless: Iterable[str] = ()) -> Rule:
    return Rule(part, pattern, None if nouns is None else frozenset(nouns), frozenset(unless))


RULES: tuple[Rule, ...] = (
    # Power and connections.
    _rule("feature", r"battery|playtime|on one charge", ON_BATTERY),
    _rule("feature", r"rechargeable|fast charging|charges two", ON_BATTERY | CHARGERS),
    _rule(
        "adjective",
        r"^Wireless$",
        HEADPHONES | PORTABLE_SPEAKERS | {"Soundbar", "Smart Speaker"} | CHARGERS | SMART_HOME,
    ),
    _rule(
        "adjective",
        r"^Fast-Charge$",
        HEADPHONES | PORTABLE_SPEAKERS | CHARGERS | {"USB-C Cable", "Lightning Cable"},
    ),
    _rule(
        "adjective",
        r"^Smart$",
        None,
        unless=CASES | {"USB-C Cable", "HDMI Cable", "Lightning Cable", "Ethernet Cable"},
    ),
    _rule(
        "variant",
        r"\d+ ft$",
        {"USB-C Cable", "HDMI Cable", "Lightning Cable", "Ethernet Cable", "Smart Light Strip"},
    ),
    _rule("feature", r"16 million colours", {"Smart Bulb", "Smart Light Strip"}),
    _rule("feature", r"video|night vision", {"Security Camera", "Video Doorbell"}),
    _rule("feature", r"Raised edges protect screen", {"Phone Case", "Tablet Case"}),
    # Outdoors and fitness.
    _rule("feature", r"lenses|anti-fog", {"Swim Goggles"}),
    _rule("feature", r"silicone strap", {"Swim Goggles", "Swim Cap"}),
    _rule("feature", r"Coast Guard", {"Life Vest"}),
    _rule("feature", r"Roll-top", {"Dry Bag"}),
    _rule("feature", r"Boils a litre", {"Camp Stove"}),
    _rule("feature", r"Draft collar|Comfort rated", {"Mummy Sleeping Bag", "Down Sleeping Bag"}),
    _rule("feature", r"tools in one", {"Bike Multi-Tool"}),
    _rule("feature", r"Fits in a saddle bag", unless={"Floor Pump"}),
    _rule(
        "feature",
        r"Non-slip on both sides|mm of cushioning",
        {"Yoga Mat", "Meditation Cushion", "Yoga Block"},
    ),
    _rule("feature", r"Knurled", {"Dumbbell Set", "Kettlebell", "Pull-Up Bar"}),
    _rule("feature", r"Adjustable to your height", {"Jump Rope", "Step Platform"}),
    _rule("feature", r"Two doors", unless={"Pop-Up Shelter"}),
    _rule(
        "adjective",
        r"^Weatherproof$",
        None,
        unless=INDOOR_FITNESS | {"Swim Goggles", "Swim Cap", "Kickboard", "Pull Buoy"},
    ),
    _rule("adjective", r"^Ultralight$", None, unless=WEIGHTS | {"Pull-Up Bar"}),
    # Home.
    _rule("feature", r"stainless steel|Full tang|sharpened", KNIVES),
    _rule("feature", r"Brews", {"French Press", "Pour-Over Dripper"}),
    _rule("feature", r"Keeps drinks hot", {"French Press", "Insulated Mug"}),
    _rule("feature", r"Burns for|\bwick\b|glass jar", CANDLES),
    _rule("feature", r"soy wax", CANDLES | {"Wax Melts"}),
    _rule("feature", r"archival paper", {"Framed Poster"}),
    _rule("feature", r"Deep pockets", {"Sheet Set", "Fitted Sheet"}),
    # Food.
    _rule("feature", r"caffeine free", {"Herbal Tea"}),
    _rule("feature", r"real cocoa", {"Hot Cocoa Mix", "Drinking Chocolate"}),
    _rule("feature", r"Baked, not fried", unless={"Kettle Chips"}),
    _rule("feature", r"Cold pressed", OILS),
    _rule("feature", r"Aged \d+ years", {"Balsamic Vinegar"}),
    _rule("feature", r"Bronze-die|durum wheat", PASTA),
    _rule("feature", r"ripe tomatoes", {"Pasta Sauce", "Barbecue Sauce"}),
    _rule("adjective", r"^Single-Origin$", SINGLE_ORIGIN),
    _rule("adjective", r"^Roasted$", ROASTABLE),
    _rule("variant", r"Bag$", None, unless=LIQUIDS),
    _rule(
        "variant",
        r"Jar$",
        {
            "Pasta Sauce",
            "Curry Paste",
            "Hot Cocoa Mix",
            "Drinking Chocolate",
            "Malted Milk Powder",
            "Smoked Paprika",
            "Ground Cumin",
            "Sea Salt Flakes",
        },
    ),
    _rule("variant", r"Count$", COUNTED),
    # Clothing.
    _rule("adjective", r"^Merino$", KNITS),
    _rule("adjective", r"^Relaxed-Fit$", GARMENTS),
    _rule("adjective", r"^(Performance|Lightweight)$", None, unless=JEWELRY),
    _rule("variant", r"^(Small|Medium|Large|X-Large)$", None, unless=SHOES | JEWELRY),
    _rule("feature", r"UPF|Adjustable strap", unless={"Beanie"}),
    _rule("feature", r"mesh upper", unless={"Sandal", "Hiking Boot", "Ankle Boot"}),
    # Toys.
    _rule("feature", r"Poster of the picture|Pieces fit snugly", {"Jigsaw Puzzle", "3D Puzzle"}),
    _rule("feature", r"brick brands", {"Building Kit"}),
    _rule("feature", r"line included", {"Stunt Kite"}),
    _rule("feature", r"light winds", {"Stunt Kite", "Foam Glider"}),
    _rule("feature", r"Non-slip deck", {"Kick Scooter", "Skateboard"}),
    _rule("feature", r"Adjustable handlebar", {"Balance Bike", "Kick Scooter"}),
    _rule(
        "adjective", r"^Pocket$", None, unless={"Balance Bike", "Kick Scooter", "Skateboard", "Stunt Kite"}
    ),
    _rule("feature", r"storage box", unless=OUTDOOR_TOYS),
    # What a product is for, in its description ("made for ...").
    _rule("description", r"on the trail|under the stars|camping", CAMPING),
    _rule("description", r"training|workouts|the gym", FITNESS | {"Headphones"}),
    _rule("description", r"cooking|weeknight|dinners|baking", KITCHEN | PANTRY),
    _rule("description", r"breakfast|slow mornings|pick-me-up", BEVERAGES | {"Bars"}),
    _rule("description", r"commute", {"Headphones", "Chargers", "Cables", "Cases & Sleeves"} | CYCLING),
    _rule("description", r"\bpool\b|swim", {"Swimming"}),
    _rule("description", r"game night", {"Board Games", "Card Games", "Puzzles"}),
    _rule("description", r"back garden|the park", OUTDOOR_TOYS | {"Speakers"}),
    _rule("description", r"connected home|while away|busy mornings", SMART_HOME_LEAVES | {"Speakers"}),
    _rule("description", r"restful nights|guest room|Sunday mornings", BEDDING),
)
# Numbers a product's claim can have: (pattern with the number as group 1, lowest, highest).
NUMBERS: tuple[tuple[str, float, float], ...] = (
    (r"(\d+)° sound", 360, 360),
    (r"sharpened (\d+)° edge", 10, 25),
    (r"Oven safe to (\d+) °F", 300, 600),
    (r"UPF (\d+)", 15, 50),
    (r"Generous (\d+) x 80 in", 50, 90),
)
PAIRS: tuple[tuple[str, str], ...] = (("Sterling silver", r"Gold Tone"),)  # a feature and a variant at odds


@dataclass(frozen=True)
class Product:
    asin: str
    title: str
    brand: str
    leaf: str
    noun: str
    adjective: str
    variant: str
    features: tuple[str, ...]
    description: tuple[str, ...]


def check_store(folder: str | Path) -> list[str]:
    """Every violation found in the store `synthetic.write_store` wrote into `folder`."""
    folder = Path(folder)
    products = list(read_products(folder / synthetic.PRODUCTS_FILE))
    return [
        *check_titles(products),
        *check_wording(products),
        *check_reviews(folder, {product.asin for product in products}),
    ]


def read_products(path: Path) -> Iterator[Product]:
    nouns = {leaf.name: sorted(leaf.nouns, key=len, reverse=True) for leaf in synthetic.leaves()}
    for record in records.iter_records(path):
        title, brand = records.title(record) or "", records.brand(record) or ""
        leaf = records.category_path(record)[-1]
        name, _, variant = title.partition(", ")
        noun = next((noun for noun in nouns.get(leaf, ()) if noun in name), "")
        adjective = name.removeprefix(brand).split(noun)[0].strip() if noun else ""
        yield Product(
            records.item_id(record) or "", title, brand, leaf, noun, adjective, variant,
            tuple(records.features(record)), tuple(records.description(record)),
        )  # fmt: skip


def check_titles(products: list[Product]) -> Iterator[str]:
    seen = Counter(" ".join(product.title.lower().split()) for product in products)
    for product in products:
        words = re.findall(r"[\w'&°.+-]+", product.title.lower().replace("-", " "))
        if seen[" ".join(product.title.lower().split())] > 1:
            yield f"{product.asin}: title {product.title!r} is not unique in the store"
        if len(set(words)) < len(words):
            repeated = sorted(word for word, count in Counter(words).items() if count > 1)
            yield f"{product.asin}: title {product.title!r} repeats {', '.join(repeated)}"
        if not product.title.startswith(product.brand + " "):
            yield f"{product.asin}: title {product.title!r} does not start with its brand {product.brand!r}"
        if not product.noun:
            yield f"{product.asin}: title {product.title!r} names no product of {product.leaf}"
            continue
        # The description names the product as its title does ("the Summit Dome Tent", not "Alpine").
        for sentence in product.description:
            for named in re.findall(
                rf"\b[Tt]he (?:{re.escape(product.brand)} )?([\w'-]+) {re.escape(product.noun)}", sentence
            ):
                if named != product.brand and named != product.adjective:
                    yield f"{product.asin}: the description calls the {product.title!r} {named!r}"


def check_wording(products: list[Product]) -> Iterator[str]:
    for product in products:
        texts = [("adjective", product.adjective), ("variant", product.variant)]
        texts += [("feature", feature) for feature in product.features]
        texts += [("description", sentence) for sentence in product.description]
        for part, text in texts:
            for rule in RULES:
                if (
                    rule.part == part
                    and text
                    and re.search(rule.pattern, text)
                    and not rule.fits(product.noun, product.leaf)
                ):
                    yield f"{product.asin}: {part} {text!r} does not fit a {product.noun} ({product.title!r})"
            for pattern, low, high in NUMBERS:
                found = re.search(pattern, text)
                if found and not low <= float(found.group(1)) <= high:
                    yield f"{product.asin}: {part} {text!r}: no {product.noun} has that ({low:g}-{high:g})"
        for feature, variant in PAIRS:
            if feature in product.features and re.search(variant, product.variant):
                yield f"{product.asin}: {feature!r} and the variant {product.variant!r} contradict"


def check_reviews(folder: Path, asins: set[str]) -> Iterator[str]:
    """One review per shopper and product, of catalogue products, and cards rated as the reviews are:
    the ratings computed by the set-up loader's own code from the interactions and reviews files."""
    reviews = list(records.iter_records(folder / synthetic.REVIEWS_FILE))
    pairs = Counter((records.user_id(review), records.item_id(review)) for review in reviews)
    for (user, asin), count in sorted(pairs.items(), key=lambda pair: str(pair[0])):
        if count > 1:
            yield f"{asin}: reviewed {count} times by {user}"
    stars: dict[str, list[float]] = defaultdict(list)
    for review in reviews:
        asin = records.item_id(review) or ""
        if asin not in asins:
            yield f"{asin}: reviewed but not in the catalogue"
        value = records.value(review)
        if value is not None:
            stars[asin].append(value)
    stats = catalogue.interaction_stats(records.iter_records(folder / synthetic.INTERACTIONS_FILE))
    stats.rate_from_reviews(reviews)
    for asin in sorted(asins | set(stats.popularity)):
        card = stats.rating(asin)
        given = stars.get(asin)
        expected = (Decimal(str(round(sum(given) / len(given), 1))), len(given)) if given else None
        if card != expected:
            yield f"{asin}: the card shows {_stars(card)}, its reviews give {_stars(expected)}"


def _stars(rating: tuple[Decimal, int] | None) -> str:
    return "no rating" if rating is None else f"{rating[0]} stars from {rating[1]}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m allstore.data.catalogue_check FOLDER (a generated store)", file=sys.stderr)
        return 2
    found = check_store(args[0])
    for line in found:
        print(line)
    print(f"{len(found)} violation(s) in {args[0]}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
