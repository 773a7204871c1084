"""Product reviews with 1-5 star ratings, for `retail.review_sentiment`."""
import numpy as np
import pyarrow as pa

from indus_retail.samples._shares import in_shares
from indus_retail.samples._typing_slips import as_typed, pick

# Real shops see J-shaped ratings: mostly fives, then fours, few twos.
STAR_SHARES = (0.10, 0.07, 0.12, 0.25, 0.46)

PRODUCTS = {
    "electronics": ("headphones", "phone charger", "bluetooth speaker", "smartwatch", "webcam"),
    "home": ("kettle", "duvet cover", "desk lamp", "frying pan", "storage box"),
    "clothing": ("hoodie", "denim jacket", "wool scarf", "t-shirt", "rain coat"),
    "beauty": ("face cream", "shampoo", "perfume", "hair dryer"),
    "toys": ("lego set", "jigsaw puzzle", "board game", "remote control car"),
}

# What a review says about one aspect, by how the customer felt about it: index 0 is very
# negative (-2), 4 very positive (+2). Negated phrases ("not bad at all", "can't fault it")
# sit on the side they mean, so that a model has to read more than single words.
ASPECT_PHRASES = {
    "quality": (
        ("the {product} broke after two days", "complete rubbish, stopped working within a week", "cheap plastic, fell apart straight away"),
        ("feels a bit cheap", "the quality could be better", "not as sturdy as I hoped", "not great quality for a {product}"),
        ("quality is ok", "the {product} is average, nothing special", "does what it says, no more", "not bad, not great"),
        ("decent quality", "works well so far", "not bad at all", "the {product} does the job nicely"),
        ("excellent build quality", "feels really premium", "can't fault the {product}", "superb, better than my old one"),
    ),
    "delivery": (
        ("arrived three weeks late", "never got a delivery update and it turned up a fortnight late", "the courier left it in the rain"),
        ("delivery took longer than promised", "arrived a few days late", "delivery was slow"),
        ("delivery was as expected", "arrived on the estimated day", "standard delivery, no complaints no praise"),
        ("arrived a day early", "quick delivery", "delivery was on time"),
        ("super fast delivery, ordered at night and had it next morning", "lightning fast delivery", "amazing delivery, tracked all the way"),
    ),
    "value": (
        ("a total waste of money", "massively overpriced for what you get", "not worth half the price"),
        ("a bit overpriced", "you can get better for the same money", "not really worth the price"),
        ("fair price", "priced about right", "what you'd expect for the money"),
        ("good value", "worth the money", "cheaper than in the shops"),
        ("incredible value", "a bargain, bought two", "can't believe the price for this quality"),
    ),
    "packaging": (
        ("the box was crushed and the {product} was scratched", "arrived damaged, packaging was a joke"),
        ("packaging was flimsy", "box was a bit battered", "far too much plastic packaging"),
        ("packaging was fine", "came in a plain box"),
        ("well packaged", "nicely packed, no damage"),
        ("beautifully packaged, perfect as a gift", "packaging was lovely and recyclable"),
    ),
    "service": (
        ("customer service ignored my emails", "support was useless and rude", "still waiting for a reply from support"),
        ("customer service was slow to answer", "had to chase them twice"),
        ("didn't need to contact support", "support answered eventually"),
        ("customer service sorted my question quickly", "helpful staff on the chat"),
        ("fantastic customer service, replaced it without any fuss", "support went above and beyond"),
    ),
    "fit": (
        ("the sizing is completely wrong, two sizes too small", "doesn't fit at all, returning"),
        ("runs a bit small", "the fit is not quite right", "sleeves are too long"),
        ("fits as expected", "true to size I think"),
        ("fits well", "comfortable fit"),
        ("fits perfectly", "the most comfortable {product} I own"),
    ),
}
# Only clothing is worn; the other departments have no `fit` to speak of.
ASPECTS_BY_DEPARTMENT = {
    department: tuple(a for a in ASPECT_PHRASES if a != "fit" or department == "clothing")
    for department in PRODUCTS
}

OPENERS = (
    "Bought this {product} for my {person}.",
    "Second {product} I've ordered from here.",
    "Ordered the {product} on a whim.",
    "Needed a new {product}.",
    "Got this as a birthday present for my {person}.",
    "Been using it for a month now.",
)
PEOPLE = ("mum", "dad", "son", "daughter", "partner", "flatmate", "nan")

VERDICTS = (
    ("Avoid.", "Returning it.", "Never ordering from here again.", "Wouldn't recommend to anyone."),
    ("Probably won't buy again.", "Not sure I'd recommend it.", "Disappointed."),
    ("Might keep it.", "It's fine I suppose.", "Can't decide if I like it."),
    ("Would recommend.", "Happy with it.", "Would buy again."),
    ("Absolutely love it!", "Buying another one for my {person}.", "Highly recommend, 10/10."),
)

# Said through gritted teeth: positive words, a one- or two-star meaning.
SARCASM = (
    "Great, another {product} that stops working after a week. Brilliant.",
    "Wonderful. Paid extra for fast delivery and waited ten days.",
    "Love how the {product} arrived in three pieces. Fantastic job.",
)


def product_reviews(*, rows: int, seed: int) -> pa.Table:
    """Synthetic product reviews with the star rating each customer gave.

    Columns:
      review_id    text, "RV-000001"...: the review's key.
      review_text  text: one to three comments on aspects of the purchase (quality, delivery,
                   value, packaging, customer service, and fit for clothing), sometimes opened by
                   context ("Bought this kettle for my mum.") and closed by a verdict ("Would buy
                   again."), typed with varying care (lower case, shorthand, typos).
      stars        text, "1" to "5": the rating, as the task's ordinal levels spell it.
                   Exactly 10/7/12/25/46% for 1..5 stars (to the nearest row), shuffled.

    How the target depends on the text: the rating is drawn first; each aspect comment and the
    verdict then take a sentiment from -2 to +2 centred on `stars - 3` with noise, so most
    comments agree with the stars but some do not (a five-star review that grumbles about
    delivery). Reviews whose comments change sign are joined with "but". About one in
    sixteen one- and two-star reviews is sarcastic. Negations ("not bad at all", "can't
    fault it", "not great") carry the meaning of the phrase, not of its key word. Fours and
    fives, and ones and twos, are hard to tell apart, as on real shops.
    """
    rng = np.random.default_rng(seed)
    stars = 1 + in_shares(STAR_SHARES, rows, rng)
    texts = [_review(int(star), rng) for star in stars]
    return pa.table({
        "review_id": pa.array([f"RV-{i + 1:06d}" for i in range(rows)], pa.string()),
        "review_text": pa.array(texts, pa.string()),
        "stars": pa.array(stars.astype(str), pa.string()),
    })


def _review(stars: int, rng: np.random.Generator) -> str:
    department = pick(rng, tuple(PRODUCTS))
    slots = {"product": pick(rng, PRODUCTS[department]), "person": pick(rng, PEOPLE)}
    feeling = stars - 3
    if feeling < 0 and rng.random() < 0.06:
        return as_typed(pick(rng, SARCASM).format(**slots), rng, care=rng.beta(4, 1.5))

    aspects = ASPECTS_BY_DEPARTMENT[department]
    chosen = rng.choice(len(aspects), size=1 + rng.binomial(2, 0.45), replace=False)
    comments = [(_felt(feeling, rng), aspects[i]) for i in chosen]
    clauses = [pick(rng, ASPECT_PHRASES[aspect][polarity + 2]).format(**slots) for polarity, aspect in comments]

    text = _join_comments(clauses, [polarity for polarity, _ in comments], rng)
    if rng.random() < 0.35:
        text = pick(rng, OPENERS).format(**slots) + " " + text
    if rng.random() < 0.55:
        text += " " + pick(rng, VERDICTS[_felt(feeling, rng, spread=0.5) + 2]).format(**slots)
    return as_typed(text, rng, care=rng.beta(4, 1.5))


def _felt(feeling: int, rng: np.random.Generator, *, spread: float = 0.75) -> int:
    """How one comment feels, from -2 to +2: the review's overall feeling, give or take."""
    return int(np.clip(round(feeling + rng.normal(0, spread)), -2, 2))


def _join_comments(clauses: list[str], polarities: list[int], rng: np.random.Generator) -> str:
    """Comments as one or two sentences: 'x but y' where the feeling turns, else 'x, and y'."""
    text = clauses[0][0].upper() + clauses[0][1:]
    for n in range(1, len(clauses)):
        clause = clauses[n]
        if polarities[n - 1] * polarities[n] < 0:
            text += " but " + clause
        elif rng.random() < 0.5:
            text += ", and " + clause
        else:
            text += ". " + clause[0].upper() + clause[1:]
    emphatic = max(abs(p) for p in polarities) == 2 and rng.random() < 0.3
    return text + ("!" if emphatic else ".")
