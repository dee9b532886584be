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
            "{n}-year limited warranty",
            "Tested by our outdoor team",
            "Made from recycled materials where we can",
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
            "Made from responsibly sourced materials",
            "Backed by a {n}-year guarantee",
            "Ships in recycled, plastic-free packaging",
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
            "{n}-year warranty and friendly support",
            "Ships in recycled, plastic-free packaging",
            "Tested by our quality lab",
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
            "{n}0% recycled materials",
            "Free returns within {n}0 days",
            "Ships in recycled, plastic-free packaging",
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
            "Non-toxic, child-safe materials",
            "Sturdy storage box included",
            "Tested to toy safety standards",
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

# What a product of each leaf category is like: its feature bullets ({n} is a small number) and,
# where the department's colours do not fit, its variants. A department's own `features` are the
# generic ones (warranty, materials) that fit every product in it.
LEAF_FEATURES: dict[str, tuple[str, ...]] = {
    "Tents": (
        "Sleeps {n} people",
        "Sets up in under {n} minutes",
        "Taped seams keep the rain out",
        "Two doors and vestibules",
    ),
    "Sleeping Bags": (
        "Comfort rated to {n}0 °F",
        "Packs into its own stuff sack",
        "Draft collar and full-length zip",
    ),
    "Backpacks": (
        "Roomy main compartment with a lid pocket",
        "Padded, ventilated back panel",
        "Hydration sleeve and hip-belt pockets",
    ),
    "Camp Kitchen": (
        "Boils a litre of water in {n} minutes",
        "Nests into one compact kit",
        "Food-safe, BPA-free materials",
    ),
    "Lighting": ("Up to {n}00 lumens", "Runs {n}0 hours on one charge", "Red night-vision mode"),
    "Bike Lights": ("Visible from {n}00 m", "USB-C rechargeable", "Tool-free mount for any handlebar"),
    "Helmets": ("Meets CPSC and EN 1078 safety standards", "{n} vents keep you cool", "Dial-fit adjustment"),
    "Bike Accessories": (
        "Fits most frames and handlebars",
        "Installs in minutes with the included tools",
        "Rust-proof hardware",
    ),
    "Repair & Maintenance": ("{n} tools in one", "Works on road and mountain bikes", "Fits in a saddle bag"),
    "Yoga": ("Non-slip on both sides", "{n} mm of cushioning", "Free of PVC and latex"),
    "Strength Training": (
        "Holds up to {n}00 lb",
        "Knurled, non-slip grip",
        "Includes a printed workout guide",
    ),
    "Cardio": ("Adjustable to your height", "Folds flat for storage", "Suitable for beginners and athletes"),
    "Swimming": ("Chlorine-resistant", "Anti-fog, UV-protected lenses", "Adjustable silicone strap"),
    "Paddling": ("Roll-top seal keeps gear dry", "Floats if dropped", "Welded, waterproof seams"),
    "Cookware": ("Works on gas, electric and induction", "Oven safe to 500 °F", "Stay-cool handles"),
    "Cutlery": ("High-carbon stainless steel", "Full tang for balance", "Hand-sharpened 15° edge"),
    "Coffee & Tea Makers": (
        "Brews {n} cups at once",
        "Keeps drinks hot for {n} hours",
        "Removable, dishwasher-safe parts",
    ),
    "Bakeware": ("Non-stick coating releases easily", "Oven safe to 450 °F", "Heavy gauge, warp resistant"),
    "Lamps": ("Dimmable warm-white light", "LED bulb included", "{n} ft fabric cord"),
    "Candles": ("Burns for up to {n}0 hours", "Natural soy wax, cotton wick", "Reusable glass jar"),
    "Wall Art": ("Ready to hang", "Printed on archival paper", "Solid wood frame"),
    "Sheets": (
        "{n}00 thread count cotton",
        "Deep pockets fit mattresses up to 16 in",
        "Softens with every wash",
    ),
    "Pillows": ("Hypoallergenic fill", "Removable, washable cover", "For back and side sleepers"),
    "Blankets": ("Lightweight yet warm", "Machine washable", "Generous 60 x 80 in size"),
    "Coffee": ("Roasted in small batches", "Notes of chocolate and caramel", "Fair-trade certified beans"),
    "Tea": (
        "Whole-leaf tea in plant-based bags",
        "Steep {n} minutes for full flavour",
        "Sealed in a foil pouch for freshness",
    ),
    "Hot Cocoa": ("Made with real cocoa", "Mixes smoothly with milk or water", "{n} servings per pack"),
    "Nuts & Trail Mix": ("Lightly salted", "{n} g of protein per serving", "No added sugar"),
    "Bars": ("{n} g of protein", "Made with whole oats", "No artificial sweeteners"),
    "Chips & Crackers": ("Baked, not fried", "Whole-grain flour", "Sea salt seasoning"),
    "Oils & Vinegars": (
        "Cold pressed",
        "Dark glass bottle protects the flavour",
        "Great for dressings and drizzling",
    ),
    "Pasta & Grains": ("Bronze-die cut", "Al dente in 10 minutes", "Made with durum wheat"),
    "Herbs & Spices": ("Ground fresh in small batches", "Resealable jar", "No fillers or anti-caking agents"),
    "Sauces": ("Slow cooked", "Small-batch recipe", "Refrigerate after opening"),
    "Headphones": (
        "Up to {n}0 hours of battery life",
        "Active noise cancellation",
        "Bluetooth 5.3 with multipoint",
    ),
    "Speakers": ("360° sound", "Up to {n}0 hours of playtime", "Pairs with a second speaker for stereo"),
    "Chargers": (
        "{n}5 W fast charging",
        "Certified safe against overcharging",
        "Charges two devices at once",
    ),
    "Cables": ("Braided nylon jacket", "Tested to bend {n}0,000 times", "Supports fast data transfer"),
    "Cases & Sleeves": (
        "Raised edges protect screen and camera",
        "Drop tested from {n} ft",
        "Slim fit, soft lining",
    ),
    "Smart Lighting": ("16 million colours", "Works with popular voice assistants", "No hub required"),
    "Security": ("1080p video with night vision", "Motion alerts to your phone", "Weather resistant"),
    "Plugs & Hubs": (
        "Schedules and timers in the app",
        "Energy monitoring",
        "Works with popular voice assistants",
    ),
    "Men's Shirts": ("Breathable cotton blend", "Wrinkle resistant", "Tailored fit"),
    "Men's Jackets": ("Water-repellent shell", "Packs into its own pocket", "Adjustable hood"),
    "Men's Shoes": ("Cushioned sole with {n} mm drop", "Breathable mesh upper", "Non-marking rubber outsole"),
    "Women's Tops": ("Soft, stretchy jersey", "Relaxed fit; order your usual size", "Tag-free for comfort"),
    "Women's Jackets": ("Water-repellent shell", "Recycled insulation", "Zippered hand pockets"),
    "Women's Shoes": ("Cushioned footbed", "Flexible, grippy sole", "Easy on and off"),
    "Hats": ("UPF 50 sun protection", "Adjustable strap", "Moisture-wicking sweatband"),
    "Socks": ("Cushioned heel and toe", "Moisture-wicking merino blend", "Pack of {n} pairs"),
    "Jewelry": ("Hypoallergenic, nickel free", "Gift box included", "Tarnish-resistant finish"),
    "Board Games": ("For up to {n} players", "Plays in about {n}0 minutes", "Easy-to-learn rules"),
    "Card Games": ("For up to {n} players", "Rounds of {n} minutes", "Fits in a pocket"),
    "Puzzles": ("Pieces fit snugly, no gaps", "Poster of the picture included", "Made from recycled board"),
    "Building Sets": ("{n}00 pieces", "Compatible with major brick brands", "Step-by-step instructions"),
    "Arts & Crafts": (
        "Washable, non-toxic colours",
        "{n}0 pieces in a storage case",
        "Encourages creativity",
    ),
    "Kites & Flying Toys": ("Flies in light winds", "Assembles in minutes", "{n}0 m line included"),
    "Ride-Ons": ("Holds riders up to {n}0 kg", "Adjustable handlebar", "Non-slip deck"),
}
# A product whose leaf category's bullets do not all fit it has its own (no "Coast Guard approved"
# dry bag, no "Brews 4 cups" milk frother); `{n}` as in LEAF_FEATURES.
NOUN_FEATURES: dict[str, tuple[str, ...]] = {
    "Pop-Up Shelter": ("Pops up in seconds", "UPF 50 sun protection", "Packs flat into a carry bag"),
    "Sleeping Pad": ("Self-inflating foam core", "R-value of {n} for cold ground", "Packs into its own stuff sack"),
    "Camp Pillow": ("Inflates in {n} breaths", "Soft brushed cover", "Packs into its own stuff sack"),
    "Cookware Set": ("Nests into one compact kit", "Hard-anodised aluminium", "Food-safe, BPA-free materials"),
    "Insulated Mug": ("Keeps drinks hot for {n} hours", "Spill-proof lid", "Food-safe, BPA-free materials"),
    "Water Filter": ("Filters {n}00 litres per cartridge", "Removes 99.9% of bacteria", "Food-safe, BPA-free materials"),
    "Chain Lube": ("Keeps chains running quietly", "Works in wet and dry conditions", "Works on road and mountain bikes"),
    "Floor Pump": ("Pumps up to 160 psi", "Fits Presta and Schrader valves", "Large, easy-to-read gauge"),
    "Tire Levers": ("Will not scratch your rims", "Set of three levers", "Fits in a saddle bag"),
    "Yoga Strap": ("Adjustable metal buckle", "Soft cotton webbing", "Free of PVC and latex"),
    "Resistance Bands": ("Five levels of resistance", "Latex-free, snap-resistant", "Includes a printed workout guide"),
    "Ab Wheel": ("Extra-wide wheel for balance", "Knee pad included", "Suitable for beginners and athletes"),
    "Agility Ladder": ("Twelve adjustable rungs", "Folds flat for storage", "Suitable for beginners and athletes"),
    "Swim Cap": ("Chlorine-resistant", "Keeps hair drier", "Stretchy silicone, one size"),
    "Kickboard": ("Chlorine-resistant", "Closed-cell foam floats well", "Contoured hand grips"),
    "Pull Buoy": ("Chlorine-resistant", "Closed-cell foam floats well", "Shaped to stay between the legs"),
    "Kayak Paddle": ("Floats if dropped", "Splits in two for transport", "Fibreglass blades, aluminium shaft"),
    "Life Vest": ("Coast Guard approved", "Adjustable side straps", "Bright colour for visibility"),
    "Paddle Leash": ("Floats if dropped", "Coiled, so it stays out of the way", "Clips to paddle and boat"),
    "Cutting Board": ("Solid acacia wood", "Juice groove catches spills", "Non-slip feet"),
    "Knife Sharpener": ("Coarse and fine slots", "Non-slip base", "For straight-edged knives"),
    "Pour-Over Dripper": ("Brews {n} cups at once", "Fits most mugs and carafes", "Dishwasher safe"),
    "Tea Kettle": ("Whistles when the water boils", "Works on gas, electric and induction", "Stay-cool handle"),
    "Milk Frother": ("Froths milk in {n}0 seconds", "Hot and cold foam", "Dishwasher-safe jug"),
    "Candle Holder": ("Fits pillar and tea-light candles", "Heat-resistant glass", "Wipes clean"),
    "Wax Melts": ("Natural soy wax", "Strong scent throw", "{n} melts per pack"),
    "Canvas Print": ("Ready to hang", "Printed on cotton canvas", "Stretched over a pine frame"),
    "Wall Mirror": ("Ready to hang", "Distortion-free glass", "Solid wood frame"),
    "Photo Frame Set": ("Ready to hang", "Solid wood frames", "Holds {n} photos"),
    "Duvet Cover": ("{n}00 thread count cotton", "Button closure and corner ties", "Softens with every wash"),
    "Pillowcase Pair": ("{n}00 thread count cotton", "Envelope closure", "Softens with every wash"),
    "Herbal Tea": ("Whole herbs in plant-based bags", "Steep {n} minutes for full flavour", "Naturally caffeine free"),
    "Malted Milk Powder": ("Made with malted barley", "Mixes smoothly with milk or water", "{n} servings per pack"),
    "Kettle Chips": ("Kettle cooked in small batches", "Made from whole potatoes", "Sea salt seasoning"),
    "Balsamic Vinegar": ("Aged {n} years", "Made from cooked grape must", "Dark glass bottle protects the flavour"),
    "Basmati Rice": ("Long, fluffy grains", "Cooks in 15 minutes", "Aged for a fuller aroma"),
    "Quinoa": ("Pre-rinsed, ready to cook", "Cooks in 15 minutes", "A complete plant protein"),
    "Pasta Sauce": ("Slow cooked", "Made with ripe tomatoes", "Refrigerate after opening"),
    "Hot Sauce": ("Made with aged chillies", "Medium heat", "Refrigerate after opening"),
    "Soundbar": ("Virtual surround sound", "HDMI eARC connection", "Wall-mount kit included"),
    "Smart Speaker": ("360° sound", "Works with popular voice assistants", "Pairs with a second speaker for stereo"),
    "Laptop Sleeve": ("Padded against bumps", "Water-resistant fabric", "Slim fit, soft lining"),
    "Camera Bag": ("Padded, adjustable dividers", "Water-resistant fabric", "Adjustable shoulder strap"),
    "Smart Switch": ("Fits a standard wall box", "Works with popular voice assistants", "No hub required"),
    "Motion Sensor": ("Motion alerts to your phone", "Wide 120° field of view", "Weather resistant"),
    "Hiking Boot": ("Waterproof leather upper", "Grippy lugged outsole", "Padded ankle collar"),
    "Sandal": ("Adjustable straps", "Contoured footbed", "Quick-drying"),
    "Beanie": ("Soft rib knit", "Warm without itching", "One size fits most"),
    "Brain Teaser Set": ("{n} puzzles of rising difficulty", "Solutions booklet included", "Made from solid wood"),
    "Marble Run": ("{n}00 pieces", "Build a new track every time", "Step-by-step instructions"),
    "Magnetic Tiles": ("{n}0 pieces", "Strong magnets sealed in", "Step-by-step instructions"),
    "Flying Disc": ("Flies straight and far", "Soft edge for easy catching", "Floats on water"),
    "Foam Glider": ("Flies in light winds", "Assembles in minutes", "Bends instead of breaking"),
    "Balance Bike": ("Holds riders up to {n}0 kg", "Adjustable handlebar", "Puncture-proof tyres"),
    "Skateboard": ("Holds riders up to {n}0 kg", "Non-slip deck", "Smooth polyurethane wheels"),
}  # fmt: skip
LEAF_VARIANTS: dict[str, tuple[str, ...]] = {
    "Cables": ("3 ft", "6 ft", "10 ft", "2-Pack", "Black", "White"),
    "Chargers": ("Black", "White", "2-Pack", "Dual Port"),
    "Headphones": ("Black", "White", "Graphite", "Midnight Blue"),
    "Speakers": ("Black", "Graphite", "Silver", "Midnight Blue"),
    "Board Games": ("Ages 8+", "Ages 12+", "Family Edition", "Travel Edition"),
    "Card Games": ("Ages 6+", "Ages 8+", "Party Edition", "Travel Edition"),
    "Puzzles": ("500 Pieces", "1000 Pieces", "1500 Pieces"),
    "Building Sets": ("Ages 6+", "Ages 8+", "Ages 12+"),
    "Arts & Crafts": ("Ages 3+", "Ages 6+", "Deluxe Kit"),
    "Kites & Flying Toys": ("Blue", "Red", "Rainbow"),
    "Ride-Ons": ("Blue", "Red", "Green"),
    "Jewelry": ("Silver", "Gold Tone", "Rose Gold Tone"),
    "Socks": ("Small", "Medium", "Large", "Black", "Navy"),
    "Hats": ("One Size", "Black", "Navy", "Khaki"),
    "Coffee": ("12 oz", "1 lb Bag", "2 lb", "24 Count"),
    "Tea": ("20 Count", "40 Count", "Pack of 6"),
    "Cutlery": ("3-Piece", "5-Piece", "8 in"),
    "Wall Art": ("12 x 16 in", "18 x 24 in", "24 x 36 in"),
    "Sheets": ("Twin", "Queen", "King", "White", "Sage"),
    "Strength Training": ("10 lb", "20 lb", "35 lb", "Pair"),
    "Oils & Vinegars": ("8.5 fl oz", "16.9 fl oz", "Pack of 2"),
    "Sauces": ("12 oz", "Pack of 2", "Pack of 6"),
    "Pasta & Grains": ("1 lb", "2 lb Bag", "Pack of 4"),
    "Herbs & Spices": ("2 oz", "4 oz", "Pack of 3"),
    "Nuts & Trail Mix": ("8 oz", "1 lb Bag", "Pack of 6"),
    "Bars": ("12 Count", "24 Count", "Pack of 6"),
    "Chips & Crackers": ("5 oz", "8 oz", "Pack of 6", "Pack of 12"),
    "Hot Cocoa": ("8 oz", "1 lb", "Pack of 2"),
}
# What a leaf category's products are for, where the department's uses do not fit them all ("made
# for daily training" is no tent's, "everyday cooking" no sheet set's): descriptions and reviews.
_USES_BY_GROUP: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Tents", "Sleeping Bags", "Backpacks", "Camp Kitchen", "Lighting"),
     ("weekend trips", "long days on the trail", "family camping", "nights under the stars")),
    (("Bike Lights", "Helmets", "Bike Accessories", "Repair & Maintenance"),
     ("the daily commute", "weekend rides", "long days in the saddle", "trail riding")),
    (("Yoga", "Strength Training", "Cardio"), ("daily training", "home workouts", "the gym", "a morning routine")),
    (("Swimming",), ("lap swimming", "the pool", "swim lessons", "open-water swims")),
    (("Paddling",), ("lake days", "paddling trips", "river trips", "the beach")),
    (("Lamps", "Candles", "Wall Art"), ("cosy evenings", "a fresh look at home", "the living room", "entertaining friends")),
    (("Sheets", "Pillows", "Blankets"), ("restful nights", "cosy evenings", "the guest room", "lazy Sunday mornings")),
    (("Coffee", "Tea", "Hot Cocoa"), ("slow mornings", "the office pantry", "a midday pick-me-up", "cosy evenings")),
    (("Nuts & Trail Mix", "Bars", "Chips & Crackers"), ("road trips", "the office pantry", "lunch boxes", "movie nights")),
    (("Oils & Vinegars", "Pasta & Grains", "Herbs & Spices", "Sauces"),
     ("weeknight dinners", "everyday cooking", "the family table", "entertaining friends")),
    (("Headphones",), ("your daily commute", "working from home", "travel", "the gym")),
    (("Speakers",), ("movie nights", "the back garden", "parties at home", "a connected home")),
    (("Chargers", "Cables", "Cases & Sleeves"), ("working from home", "your daily commute", "travel", "a busy desk")),
    (("Smart Lighting", "Security", "Plugs & Hubs"),
     ("a connected home", "peace of mind while away", "busy mornings", "working from home")),
    (("Jewelry",), ("everyday wear", "special occasions", "gifting", "evenings out")),
    (("Board Games", "Card Games", "Puzzles"), ("family game night", "rainy afternoons", "birthday parties", "long holidays")),
    (("Building Sets", "Arts & Crafts"), ("rainy afternoons", "creative weekends", "birthday parties", "quiet time")),
    (("Kites & Flying Toys", "Ride-Ons"), ("the back garden", "sunny afternoons", "the park", "birthday parties")),
)  # fmt: skip
LEAF_USES: dict[str, tuple[str, ...]] = {leaf: uses for group, uses in _USES_BY_GROUP for leaf in group}
# Department adjectives, variants and bullets that do not fit a leaf category's products, or one
# product (no "Wireless HDMI Cable", "Merino Ring", "Sneaker, X-Large" or a skateboard's storage
# box): left out of its choices.
LEAF_UNFIT: dict[str, frozenset[str]] = {
    "Yoga": frozenset({"Weatherproof"}),
    "Strength Training": frozenset({"Weatherproof", "Ultralight"}),
    "Cardio": frozenset({"Weatherproof"}),
    "Swimming": frozenset({"Weatherproof"}),
    "Speakers": frozenset({"Fast-Charge"}),
    "Cables": frozenset({"Wireless", "Smart"}),
    "Cases & Sleeves": frozenset({"Wireless", "Fast-Charge", "Smart", "6 ft", "10 ft"}),
    "Smart Lighting": frozenset({"Fast-Charge", "6 ft", "10 ft"}),
    "Security": frozenset({"Fast-Charge", "6 ft", "10 ft"}),
    "Plugs & Hubs": frozenset({"Fast-Charge", "6 ft", "10 ft"}),
    "Men's Jackets": frozenset({"Merino"}),
    "Women's Jackets": frozenset({"Merino"}),
    "Men's Shoes": frozenset({"Merino", "Relaxed-Fit", "Small", "Medium", "Large", "X-Large"}),
    "Women's Shoes": frozenset({"Merino", "Relaxed-Fit", "Small", "Medium", "Large", "X-Large"}),
    "Hats": frozenset({"Relaxed-Fit"}),
    "Socks": frozenset({"Relaxed-Fit"}),
    "Jewelry": frozenset({"Merino", "Relaxed-Fit", "Performance", "Lightweight"}),
    "Tea": frozenset({"Roasted"}),
    "Hot Cocoa": frozenset({"Roasted"}),
    "Bars": frozenset({"Roasted", "Single-Origin"}),
    "Chips & Crackers": frozenset({"Roasted", "Single-Origin"}),
    "Pasta & Grains": frozenset({"Roasted"}),
    "Sauces": frozenset({"Single-Origin"}),
    "Kites & Flying Toys": frozenset({"Sturdy storage box included"}),
    "Ride-Ons": frozenset({"Pocket", "Sturdy storage box included"}),
}
NOUN_UNFIT: dict[str, frozenset[str]] = {
    "HDMI Cable": frozenset({"Fast-Charge"}),
    "Ethernet Cable": frozenset({"Fast-Charge"}),
    "Flannel Shirt": frozenset({"Merino"}),
    "Sun Hat": frozenset({"Merino"}),
    "Baseball Cap": frozenset({"Merino"}),
    "Bucket Hat": frozenset({"Merino"}),
    "Stunt Kite": frozenset({"Pocket"}),
    "Whole Bean Coffee": frozenset({"24 Count"}),
    "Ground Coffee": frozenset({"24 Count"}),
    "Coffee Pods": frozenset({"12 oz", "1 lb Bag", "2 lb"}),
    "Cold Brew Concentrate": frozenset({"1 lb Bag", "2 lb", "24 Count"}),
    "Herbal Tea": frozenset({"Single-Origin"}),
    "Chai Blend": frozenset({"Single-Origin"}),
    "Hot Cocoa Mix": frozenset({"Single-Origin"}),
    "Malted Milk Powder": frozenset({"Single-Origin"}),
    "Trail Mix": frozenset({"Single-Origin"}),
    "Cashew Mix": frozenset({"Single-Origin"}),
    "Spaghetti": frozenset({"Single-Origin"}),
    "Penne": frozenset({"Single-Origin"}),
    "Olive Oil": frozenset({"Roasted"}),
    "Avocado Oil": frozenset({"Roasted", "Single-Origin"}),
    "Balsamic Vinegar": frozenset({"Roasted", "Single-Origin"}),
    "Sesame Oil": frozenset({"Single-Origin"}),
    "Spice Gift Set": frozenset({"Roasted", "Single-Origin"}),
    "Sea Salt Flakes": frozenset({"Roasted"}),
}

# The pictogram on each leaf category's images: a Lucide icon (allstore/data/icons/lucide.json).
LEAF_ICONS: dict[str, str] = {
    "Tents": "tent",
    "Sleeping Bags": "bed-single",
    "Backpacks": "backpack",
    "Camp Kitchen": "flame-kindling",
    "Lighting": "flashlight",
    "Bike Lights": "lightbulb",
    "Helmets": "hard-hat",
    "Bike Accessories": "bike",
    "Repair & Maintenance": "wrench",
    "Yoga": "person-standing",
    "Strength Training": "dumbbell",
    "Cardio": "heart-pulse",
    "Swimming": "waves",
    "Paddling": "sailboat",
    "Cookware": "cooking-pot",
    "Cutlery": "utensils-crossed",
    "Coffee & Tea Makers": "coffee",
    "Bakeware": "cake-slice",
    "Lamps": "lamp",
    "Candles": "flame",
    "Wall Art": "frame",
    "Sheets": "bed-double",
    "Pillows": "bed",
    "Blankets": "layers",
    "Coffee": "bean",
    "Tea": "leaf",
    "Hot Cocoa": "cup-soda",
    "Nuts & Trail Mix": "nut",
    "Bars": "cookie",
    "Chips & Crackers": "popcorn",
    "Oils & Vinegars": "droplet",
    "Pasta & Grains": "wheat",
    "Herbs & Spices": "sprout",
    "Sauces": "soup",
    "Headphones": "headphones",
    "Speakers": "speaker",
    "Chargers": "battery-charging",
    "Cables": "cable",
    "Cases & Sleeves": "smartphone",
    "Smart Lighting": "lamp-ceiling",
    "Security": "cctv",
    "Plugs & Hubs": "plug",
    "Men's Shirts": "shirt",
    "Men's Jackets": "shopping-bag",
    "Men's Shoes": "footprints",
    "Women's Tops": "shirt",
    "Women's Jackets": "shopping-bag",
    "Women's Shoes": "footprints",
    "Hats": "crown",
    "Socks": "footprints",
    "Jewelry": "gem",
    "Board Games": "dice-5",
    "Card Games": "spade",
    "Puzzles": "puzzle",
    "Building Sets": "blocks",
    "Arts & Crafts": "palette",
    "Kites & Flying Toys": "wind",
    "Ride-Ons": "car",
}

# --- Reviews ---------------------------------------------------------------------------------------
# A review is a headline, an opening, what the reviewer liked or did not (the department's words) and
# a closing, each chosen for the star rating. {noun} is the product's noun in lower case ("dome tent"),
# {use} one of the department's uses ("weekend trips"). A noun that names several things is counted
# ("pair of wool socks"), so "this {noun}" and "A good {noun}" read right.
REVIEW_UNITS: dict[str, str] = {
    **dict.fromkeys(("Swim Goggles", "Wireless Headphones", "Earbuds", "Over-Ear Headphones", "Sport Earbuds",
                     "Wool Socks", "Running Socks", "Hiking Socks", "Compression Socks", "Stud Earrings"), "pair of"),
    **dict.fromkeys(("Tire Levers", "Resistance Bands", "String Lights", "Magnetic Tiles"), "set of"),
    **dict.fromkeys(("Wax Melts", "Coffee Pods", "Roasted Almonds", "Pistachios", "Granola Bars", "Protein Bars",
                     "Fruit & Nut Bars", "Kettle Chips", "Sea Salt Crackers", "Veggie Crisps", "Pretzels",
                     "Sea Salt Flakes"), "pack of"),
}  # fmt: skip

REVIEW_HEADLINES: dict[int, tuple[str, ...]] = {
    5: (
        "Love it", "Exactly what I wanted", "Worth every penny", "Could not be happier",
        "Better than I expected", "Great {noun}", "My new favourite", "Highly recommend",
    ),
    4: (
        "Very good", "Solid choice", "Happy with it", "Good value", "Does the job well",
        "Almost perfect", "Would buy again",
    ),
    3: (
        "It's okay", "Decent, not great", "Mixed feelings", "Fine for the price",
        "An average {noun}", "Does what it says, just", "Middle of the road",
    ),
    2: (
        "Disappointed", "Not what I hoped for", "Would not buy again", "Expected more",
        "A so-so {noun}", "Looked better online",
    ),
    1: (
        "Do not buy", "Waste of money", "Very disappointed", "Sent it back",
        "The worst {noun} I have bought", "Fell apart",
    ),
}  # fmt: skip

REVIEW_OPENINGS: dict[int, tuple[str, ...]] = {
    5: (
        "I bought this {noun} for {use} and it has been perfect.",
        "Best {noun} I have tried, and I have tried a few.",
        "I was not sure about ordering this online, but it won me over.",
        "Arrived quickly and was exactly as described.",
    ),
    4: (
        "I bought this {noun} for {use} and I am pleased with it.",
        "A good {noun} overall.",
        "Took a chance on this one and it mostly paid off.",
        "Arrived on time and well packed.",
    ),
    3: (
        "I bought this {noun} for {use}; it is fine, nothing more.",
        "An ordinary {noun}.",
        "Some things I like, some I do not.",
        "It does the basics.",
    ),
    2: (
        "I bought this {noun} for {use} and it fell short.",
        "I wanted to like this {noun}.",
        "Not the quality I expected for the price.",
        "It arrived fine, but that is the best I can say.",
    ),
    1: (
        "I bought this {noun} for {use} and regretted it.",
        "I would give it zero stars if I could.",
        "Of everything I have bought this year, this was the worst.",
        "Returned it within the week.",
    ),
}
REVIEW_CLOSINGS: dict[int, tuple[str, ...]] = {
    5: ("I have already ordered a second one.", "Highly recommended.", "Would buy again without a second thought.", ""),
    4: ("Four stars from me.", "I would still recommend it.", "Good value for the money.", ""),
    3: ("Three stars.", "It will do for now.", "Worth it on sale, not at full price.", ""),
    2: ("I will be looking elsewhere next time.", "Two stars, and that is generous.", ""),
    1: ("Save your money.", "Avoid.", "I am still waiting on my refund.", ""),
}  # fmt: skip

# What shoppers of each department praise and complain about (no product-specific claims, so a
# review fits every product of the department).
REVIEW_PRAISE: dict[str, tuple[str, ...]] = {
    "Sports & Outdoors": (
        "Sturdy without being heavy.", "Took a few knocks and still looks new.", "Good quality for the price.",
        "It has handled everything I have thrown at it.", "Well made and well thought out.",
    ),
    "Home & Kitchen": (
        "It looks great in my home.", "Feels solid and well made.", "It has become part of my daily routine.",
        "Good quality for the price.", "Everything about it feels well finished.",
    ),
    "Grocery & Gourmet Food": (
        "It tastes fresh.", "The flavour is spot on.", "Arrived well before the best-before date.",
        "My whole family likes it.", "A little goes a long way.",
    ),
    "Electronics": (
        "It worked straight out of the box.", "Feels well made for the price.",
        "No problems after months of daily use.", "It does exactly what it should.", "Set-up took five minutes.",
    ),
    "Clothing, Shoes & Jewelry": (
        "It looks even better in person.", "Comfortable to wear all day.", "Good quality for the price.",
        "Still looks new after months of wear.", "It goes with everything I own.",
    ),
    "Toys & Games": (
        "My kids played with it for hours.", "It survived plenty of rough play.",
        "Easy for little ones to pick up.", "Fun for the grown-ups too.", "Everything was in the box.",
    ),
}  # fmt: skip
REVIEW_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "Sports & Outdoors": (
        "It showed wear after a few weeks.", "Heavier than the listing suggests.",
        "Cheaper materials than I expected.", "It arrived with a scuff on one side.",
    ),
    "Home & Kitchen": (
        "Smaller than it looks in the pictures.", "The finish scratched within a month.",
        "It arrived with a chip in it.", "Not as sturdy as I hoped.",
    ),
    "Grocery & Gourmet Food": (
        "Too strong for my taste.", "The packaging was damaged.", "It tastes a bit bland.",
        "Pricey for the amount you get.",
    ),
    "Electronics": (
        "It stopped working after a couple of months.", "It feels cheaper than it looks.",
        "The instructions were hard to follow.", "It did not work with everything I own.",
    ),
    "Clothing, Shoes & Jewelry": (
        "The sizing is a little off.", "It looked worn after a few weeks.",
        "The colour is not quite like the photo.", "Cheaper materials than I expected.",
    ),
    "Toys & Games": (
        "Pieces went missing quickly.", "Smaller than expected.", "The instructions were confusing.",
        "It broke within a week.",
    ),
}  # fmt: skip
