"""The words the synthetic store is made of: departments, categories, product nouns, brands, names.

All invented or generic English, so the generated store is free of anyone's catalogue or trade
marks. A department's words (adjectives, variants, uses, features) keep its titles believable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Department:
    name: str
    # sub-category -> leaf category -> product nouns
    categories: dict[str, dict[str, tuple[str, ...]]]
    adjectives: tuple[str, ...]
    variants: tuple[str, ...]  # appended to titles: colours, sizes, pack counts
    uses: tuple[str, ...]  # "made for ..." in descriptions
    features: tuple[str, ...]  # feature bullets; {n} is filled with a small number
    median_price: float
    repeat_rate: float  # how often a shopper comes back to an item bought before (consumables)
    hue: int  # image colour family, degrees on the colour wheel


DEPARTMENTS: tuple[Department, ...] = (
    Department(
        name="Sports & Outdoors",
        categories={
            "Camping & Hiking": {
                "Tents": ("Dome Tent", "Backpacking Tent", "Family Tent", "Pop-Up Shelter"),
                "Sleeping Bags": ("Mummy Sleeping Bag", "Down Sleeping Bag", "Sleeping Pad", "Camp Pillow"),
                "Backpacks": ("Daypack", "Hiking Backpack", "Trekking Pack", "Hydration Pack"),
                "Camp Kitchen": ("Camp Stove", "Cookware Set", "Insulated Mug", "Water Filter"),
                "Lighting": ("Headlamp", "Camp Lantern", "Flashlight", "Solar Lantern"),
            },
            "Cycling": {
                "Bike Lights": ("Rear Bike Light", "Front Bike Light", "Bike Light Set"),
                "Helmets": ("Road Helmet", "Mountain Bike Helmet", "Commuter Helmet"),
                "Bike Accessories": ("Bottle Cage", "Saddle Bag", "Bike Lock", "Phone Mount"),
                "Repair & Maintenance": ("Bike Multi-Tool", "Chain Lube", "Floor Pump", "Tire Levers"),
            },
            "Fitness": {
                "Yoga": ("Yoga Mat", "Yoga Block", "Yoga Strap", "Meditation Cushion"),
                "Strength Training": ("Dumbbell Set", "Kettlebell", "Resistance Bands", "Pull-Up Bar"),
                "Cardio": ("Jump Rope", "Ab Wheel", "Step Platform", "Agility Ladder"),
            },
            "Water Sports": {
                "Swimming": ("Swim Goggles", "Swim Cap", "Kickboard", "Pull Buoy"),
                "Paddling": ("Kayak Paddle", "Dry Bag", "Life Vest", "Paddle Leash"),
            },
        },
        adjectives=("Ultralight", "Trail", "Summit", "Alpine", "Compact", "Pro", "Weatherproof", "Adventure"),
        variants=("Black", "Olive", "Navy", "Orange", "Forest Green", "Slate Grey", "Red", "Sand"),
        uses=("weekend trips", "long days on the trail", "daily training", "family adventures"),
        features=(
            "Weighs only {n}0 oz",
            "Water-resistant ripstop fabric",
            "Packs down small for travel",
            "Reinforced stitching at stress points",
            "{n}-year limited warranty",
            "Reflective details for low light",
            "Tested in wind, rain and snow",
        ),
        median_price=34.0,
        repeat_rate=0.02,
        hue=140,
    ),
    Department(
        name="Home & Kitchen",
        categories={
            "Kitchen & Dining": {
                "Cookware": ("Frying Pan", "Saucepan", "Dutch Oven", "Stockpot"),
                "Cutlery": ("Chef's Knife", "Knife Set", "Cutting Board", "Knife Sharpener"),
                "Coffee & Tea Makers": ("French Press", "Pour-Over Dripper", "Tea Kettle", "Milk Frother"),
                "Bakeware": ("Baking Sheet", "Muffin Pan", "Loaf Pan", "Cooling Rack"),
            },
            "Home Decor": {
                "Lamps": ("Table Lamp", "Floor Lamp", "String Lights", "Desk Lamp"),
                "Candles": ("Scented Candle", "Candle Set", "Candle Holder", "Wax Melts"),
                "Wall Art": ("Canvas Print", "Framed Poster", "Wall Mirror", "Photo Frame Set"),
            },
            "Bedding": {
                "Sheets": ("Sheet Set", "Fitted Sheet", "Duvet Cover", "Pillowcase Pair"),
                "Pillows": ("Bed Pillow", "Throw Pillow", "Body Pillow"),
                "Blankets": ("Throw Blanket", "Weighted Blanket", "Quilt"),
            },
        },
        adjectives=("Classic", "Modern", "Heritage", "Everyday", "Premium", "Rustic", "Nordic", "Artisan"),
        variants=("White", "Charcoal", "Sage", "Terracotta", "Oatmeal", "Navy", "Blush", "Walnut"),
        uses=("busy weeknights", "everyday cooking", "cosy evenings", "entertaining friends"),
        features=(
            "Dishwasher safe",
            "Made from responsibly sourced materials",
            "Fits standard sizes",
            "Easy to clean",
            "{n}-piece set",
            "Oven safe to {n}00 °F",
            "Backed by a {n}-year guarantee",
        ),
        median_price=29.0,
        repeat_rate=0.02,
        hue=28,
    ),
    Department(
        name="Grocery & Gourmet Food",
        categories={
            "Beverages": {
                "Coffee": ("Whole Bean Coffee", "Ground Coffee", "Coffee Pods", "Cold Brew Concentrate"),
                "Tea": ("Green Tea", "Black Tea", "Herbal Tea", "Chai Blend"),
                "Hot Cocoa": ("Hot Cocoa Mix", "Drinking Chocolate", "Malted Milk Powder"),
            },
            "Snacks": {
                "Nuts & Trail Mix": ("Trail Mix", "Roasted Almonds", "Cashew Mix", "Pistachios"),
                "Bars": ("Granola Bars", "Protein Bars", "Fruit & Nut Bars"),
                "Chips & Crackers": ("Kettle Chips", "Sea Salt Crackers", "Veggie Crisps", "Pretzels"),
            },
            "Pantry Staples": {
                "Oils & Vinegars": ("Olive Oil", "Balsamic Vinegar", "Avocado Oil", "Sesame Oil"),
                "Pasta & Grains": ("Spaghetti", "Penne", "Basmati Rice", "Quinoa"),
                "Herbs & Spices": ("Smoked Paprika", "Ground Cumin", "Spice Gift Set", "Sea Salt Flakes"),
                "Sauces": ("Hot Sauce", "Pasta Sauce", "Curry Paste", "Barbecue Sauce"),
            },
        },
        adjectives=("Organic", "Small-Batch", "Single-Origin", "Gourmet", "Classic", "Roasted", "Natural"),
        variants=("12 oz", "1 lb Bag", "Pack of 6", "24 Count", "2 lb", "Pack of 12", "8 oz Jar"),
        uses=("a quick breakfast", "the office pantry", "weeknight dinners", "road trips"),
        features=(
            "No artificial colours or flavours",
            "Resealable package keeps it fresh",
            "Sourced from {n} family farms",
            "Vegan and gluten free",
            "Best before {n}2 months from packing",
            "Packed in a facility that also handles nuts",
        ),
        median_price=11.0,
        repeat_rate=0.12,
        hue=45,
    ),
    Department(
        name="Electronics",
        categories={
            "Audio": {
                "Headphones": ("Wireless Headphones", "Earbuds", "Over-Ear Headphones", "Sport Earbuds"),
                "Speakers": ("Bluetooth Speaker", "Soundbar", "Smart Speaker", "Waterproof Speaker"),
            },
            "Accessories": {
                "Chargers": ("USB-C Charger", "Wireless Charger", "Power Bank", "Car Charger"),
                "Cables": ("USB-C Cable", "HDMI Cable", "Lightning Cable", "Ethernet Cable"),
                "Cases & Sleeves": ("Phone Case", "Laptop Sleeve", "Tablet Case", "Camera Bag"),
            },
            "Smart Home": {
                "Smart Lighting": ("Smart Bulb", "Smart Light Strip", "Smart Switch"),
                "Security": ("Security Camera", "Video Doorbell", "Motion Sensor"),
                "Plugs & Hubs": ("Smart Plug", "Smart Hub", "Outdoor Smart Plug"),
            },
        },
        adjectives=("Wireless", "Smart", "Compact", "Pro", "Ultra", "Fast-Charge", "Rugged", "Slim"),
        variants=("Black", "White", "Graphite", "Silver", "Midnight Blue", "2-Pack", "6 ft", "10 ft"),
        uses=("working from home", "your daily commute", "travel", "a connected home"),
        features=(
            "Up to {n}0 hours of battery life",
            "Bluetooth 5.3 with a stable connection",
            "Works with popular voice assistants",
            "USB-C charging",
            "{n}-year warranty and friendly support",
            "Certified safe against overcharging",
            "Set up in under {n} minutes",
        ),
        median_price=39.0,
        repeat_rate=0.01,
        hue=215,
    ),
    Department(
        name="Clothing, Shoes & Jewelry",
        categories={
            "Men": {
                "Men's Shirts": ("T-Shirt", "Flannel Shirt", "Polo Shirt", "Henley"),
                "Men's Jackets": ("Rain Jacket", "Fleece Jacket", "Puffer Jacket", "Softshell Jacket"),
                "Men's Shoes": ("Trail Running Shoe", "Hiking Boot", "Sneaker", "Sandal"),
            },
            "Women": {
                "Women's Tops": ("Tank Top", "Tunic", "Long Sleeve Tee", "Cardigan"),
                "Women's Jackets": ("Rain Jacket", "Fleece Jacket", "Puffer Vest", "Parka"),
                "Women's Shoes": ("Trail Running Shoe", "Hiking Boot", "Slip-On Sneaker", "Ankle Boot"),
            },
            "Accessories": {
                "Hats": ("Beanie", "Sun Hat", "Baseball Cap", "Bucket Hat"),
                "Socks": ("Wool Socks", "Running Socks", "Hiking Socks", "Compression Socks"),
                "Jewelry": ("Pendant Necklace", "Stud Earrings", "Bracelet", "Ring"),
            },
        },
        adjectives=("Classic", "Relaxed-Fit", "Performance", "Merino", "Everyday", "Heritage", "Lightweight"),
        variants=("Small", "Medium", "Large", "X-Large", "Heather Grey", "Black", "Navy", "Rust"),
        uses=("everyday wear", "cool mornings", "long walks", "travel days"),
        features=(
            "Machine washable",
            "Breathable, moisture-wicking fabric",
            "Relaxed fit; order your usual size",
            "{n}0% recycled materials",
            "Tag-free for comfort",
            "Cushioned sole with {n} mm drop",
        ),
        median_price=31.0,
        repeat_rate=0.03,
        hue=330,
    ),
    Department(
        name="Toys & Games",
        categories={
            "Games": {
                "Board Games": ("Strategy Game", "Family Board Game", "Cooperative Game", "Word Game"),
                "Card Games": ("Party Card Game", "Deck-Building Game", "Trivia Game"),
                "Puzzles": ("Jigsaw Puzzle", "3D Puzzle", "Brain Teaser Set"),
            },
            "Building & Craft": {
                "Building Sets": ("Building Kit", "Marble Run", "Magnetic Tiles"),
                "Arts & Crafts": ("Watercolour Set", "Modelling Clay", "Sticker Book", "Bead Kit"),
            },
            "Outdoor Play": {
                "Kites & Flying Toys": ("Stunt Kite", "Flying Disc", "Foam Glider"),
                "Ride-Ons": ("Balance Bike", "Kick Scooter", "Skateboard"),
            },
        },
        adjectives=("Classic", "Deluxe", "Junior", "Family", "Creative", "Giant", "Pocket", "Ultimate"),
        variants=("Ages 3+", "Ages 6+", "Ages 8+", "Ages 12+", "1000 Pieces", "500 Pieces", "Blue", "Red"),
        uses=("family game night", "rainy afternoons", "birthday parties", "the back garden"),
        features=(
            "For {n} to 6 players",
            "Plays in about {n}0 minutes",
            "Non-toxic, child-safe materials",
            "Easy-to-learn rules",
            "Sturdy storage box included",
            "Encourages creativity and problem solving",
        ),
        median_price=24.0,
        repeat_rate=0.01,
        hue=275,
    ),
)

BRAND_STARTS = (
    "North", "Bright", "Stone", "River", "Cedar", "Iron", "Blue", "Silver", "Maple", "Summit",
    "Harbor", "Wild", "Oak", "Fox", "Pine", "Storm", "Golden", "Clear", "True", "Lumen",
    "Ember", "Kestrel", "Willow", "Copper", "Drift", "Fern", "Granite", "Hollow", "Juniper", "Lark",
)  # fmt: skip
BRAND_ENDS = (
    "vale", "wick", "field", "crest", "line", "works", "craft", "ridge", "haven", "point",
    "wood", "light", "peak", "side", "gate", "mark", "well", "way", "ford", "moor",
)  # fmt: skip
BRAND_SUFFIXES = ("", " Co.", " Goods", " Labs", " Supply", " & Sons", " Studio", " Outfitters")

DESCRIPTION_OPENINGS = (
    "The {brand} {adjective} {noun}: made for {use}.",
    "Meet the {adjective} {noun} from {brand}, designed for {use}.",
    "Built by {brand} for {use}, with nothing you do not need.",
    "Ready for {use} and whatever comes next: the {brand} {noun}.",
)
DESCRIPTION_CLOSINGS = (
    "Thoughtful details make it a favourite in the {category} range.",
    "Shoppers who love {category} come back to it again and again.",
    "It pairs well with the rest of the {brand} {category} collection.",
    "A dependable choice when you want {category} you can count on.",
)

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonah",
    "Kira", "Leo", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rafael", "Sofia", "Theo",
    "Uma", "Victor", "Willa", "Xavier", "Yara", "Zane", "Amara", "Bruno", "Carmen", "Dev",
    "Esme", "Finn", "Gia", "Hana", "Ivan", "Jade", "Kai", "Lena", "Mateo", "Nina",
    "Omar", "Paula", "Rosa", "Sam", "Tara", "Ugo", "Vera", "Wes", "Yuki", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka",
    "Usman", "Varga", "Walsh", "Xu", "Young", "Zimmer", "Alvarez", "Brooks", "Chen", "Diaz",
    "Eriksen", "Flores", "Gupta", "Hansen", "Ibrahim", "Jones", "Kowalski", "Lopez", "Murphy", "Novak",
    "Olsen", "Park", "Reyes", "Schmidt", "Torres", "Umar", "Vogel", "Weber", "Yilmaz", "Zhou",
)  # fmt: skip
