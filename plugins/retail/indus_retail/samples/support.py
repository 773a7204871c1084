"""Messages to an online shop's customer-service desk, for `retail.support_intent`."""
import numpy as np
import pyarrow as pa

from indus_retail.samples._shares import in_shares
from indus_retail.samples._typing_slips import as_typed, pick

# How often each intent reaches the desk: "where is my order" dominates, as everywhere.
INTENT_SHARES = {
    "order_status": 0.22,
    "return_item": 0.15,
    "refund_status": 0.13,
    "damaged_or_wrong_item": 0.12,
    "cancel_order": 0.10,
    "payment_issue": 0.10,
    "product_question": 0.10,
    "change_delivery_address": 0.08,
}
# Human agents tagging tickets disagree now and then; a model should not expect perfection.
MISLABELLED_SHARE = 0.02

# A message tells the situation and then asks for something; the intent is the ask. The
# same situation leads to different asks (a broken kettle: a replacement, a return, or a
# refund that has not arrived), so the situation alone does not give the intent away.
SITUATIONS = {
    "late": (
        "It's been {days} and nothing has arrived.",
        "Tracking for {order} hasn't updated for {days}.",
        "{carrier} says it's still at the depot.",
        "My order {order} says dispatched but {carrier} has no record of it.",
    ),
    "broken": (
        "The {product} arrived broken.",
        "The box was crushed and the {product} is scratched.",
        "A part is missing from the {product}.",
        "The {product} stopped working on the first day.",
    ),
    "wrong": (
        "I got the wrong colour.",
        "You sent me a {other} instead of a {product}.",
        "Order {order} came with someone else's items in it.",
    ),
    "unwanted": (
        "I ordered the wrong size.",
        "I found it cheaper elsewhere.",
        "I changed my mind about the {product}.",
        "The {product} doesn't fit.",
        "Ordered twice by mistake.",
    ),
    "returned": (
        "I sent the {product} back {days} ago.",
        "You received my return last week.",
        "I cancelled {order} {days} ago.",
        "The {product} went back with {carrier} {days} ago.",
    ),
    "charged": (
        "My {payment} was charged twice for {order}.",
        "I was charged for delivery when it said free delivery.",
        "The discount code didn't apply and I paid full price.",
        "I was charged but never got an order confirmation.",
    ),
    "moved": (
        "I've moved house.",
        "I won't be home {days}.",
        "I put the wrong postcode in.",
    ),
    "browsing": (
        "I'm thinking of buying the {product}.",
        "I saw the {product} on your site.",
        "My {person} wants a {product} for her birthday.",
    ),
}

# What customers ask for, by intent. Asks share words across intents on purpose ("refund"
# in payment and refund asks, "cancel" in an address change) and some negate another ask.
ASKS = {
    "order_status": (
        "Where is it?", "When will it arrive?", "Can you check where my order {order} is?",
        "Is it lost?", "Any update on {order}?", "Has it actually been shipped?",
        "When can I expect the {product}?",
    ),
    "cancel_order": (
        "Please cancel {order}.", "Can I still cancel before it ships?", "I want to cancel the order.",
        "Stop the order please, I don't want it sent.", "Cancel it and refund me please.",
    ),
    "return_item": (
        "How do I send it back?", "Can I get a returns label?", "I'd like to return it.",
        "Can I take it back to a store?", "Is it too late to return it?", "What's your returns policy?",
    ),
    "refund_status": (
        "Where's my refund?", "When do I get my money back?", "The refund still isn't on my {payment}.",
        "How long do refunds take?", "You said the refund was processed but nothing has come through.",
    ),
    "damaged_or_wrong_item": (
        "Can you send a replacement?", "What do I do now? I need the right one.",
        "I don't want a refund, I want it replaced.", "Please send the missing part.", "Can you swap it?",
    ),
    "payment_issue": (
        "Can you sort out the payment?", "Please fix the charge.", "Why was I charged twice?",
        "Payment keeps failing at checkout with my {payment}, can you help?", "Can you refund the extra charge?",
    ),
    "change_delivery_address": (
        "Can you change the delivery address?", "Can you deliver it to my work address instead?",
        "I don't want to cancel, just change the address.", "Please update the postcode before {carrier} picks it up.",
        "Can it go to my neighbour's instead?",
    ),
    "product_question": (
        "Is it compatible with an iPhone?", "Does it come in a larger size?", "What's the warranty?",
        "Is it dishwasher safe?", "When will it be back in stock?", "What's the difference between the two models?",
    ),
}

# Which situation each intent's messages tell (None: straight to the ask), and how often.
SITUATIONS_BY_INTENT = {
    "order_status": {"late": 0.7, None: 0.3},
    "cancel_order": {"unwanted": 0.5, "late": 0.15, None: 0.35},
    "return_item": {"unwanted": 0.5, "broken": 0.15, "wrong": 0.1, None: 0.25},
    "refund_status": {"returned": 0.6, "broken": 0.1, None: 0.3},
    "damaged_or_wrong_item": {"broken": 0.45, "wrong": 0.35, None: 0.2},
    "payment_issue": {"charged": 0.7, None: 0.3},
    "change_delivery_address": {"moved": 0.6, "late": 0.1, None: 0.3},
    "product_question": {"browsing": 0.5, None: 0.5},
}
# A customer who has told the situation sometimes leaves the ask unsaid ("The kettle arrived
# broken.") or vague ("Please advise."), and the agent infers it.
UNSAID_ASK = 0.12
VAGUE_ASK = 0.15
VAGUE_ASKS = ("Please advise.", "Can you help?", "What are my options?", "Not happy.", "Can someone look into this?")

GREETINGS = ("", "Hi,", "Hello,", "hey", "Good morning,", "Hi there,", "Dear customer service,")
SIGN_OFFS = ("", "Thanks", "thanks in advance", "Please help.", "Regards, Sam", "This is the second time I'm asking!", "Cheers")
PRODUCTS = ("jacket", "kettle", "blender", "rucksack", "phone case", "sofa cushion", "headphones", "air fryer", "lamp")
CARRIERS = ("DPD", "the courier", "Royal Mail", "UPS", "Evri", "DHL")
PAYMENTS = ("card", "credit card", "PayPal account", "Apple Pay", "gift card")
WAITS = ("3 days", "a week", "two weeks", "10 days", "over a month", "five days")


def support_messages(*, rows: int, seed: int) -> pa.Table:
    """Synthetic customer-service messages tagged with their intent.

    Columns:
      ticket_id  text, "TK-000001"...: the ticket's key.
      message    text: an optional greeting, sometimes context that fits any intent ("I
                 ordered a lamp last week."), the situation (late, broken, wrong item, not
                 wanted, sent back, charged, moved house, browsing), the ask, and an optional
                 sign-off; order numbers quoted every which way, products, carriers, payment
                 methods and waits filled in; typed with varying care (shorthand, typos).
      intent     text, one of eight: order_status 22%, return_item 15%, refund_status 13%,
                 damaged_or_wrong_item 12%, cancel_order, payment_issue, product_question 10%
                 each, change_delivery_address 8% (exact to the nearest row, before the
                 2% of noisy labels).

    How the target depends on the text: the intent is what the customer asks for, not the
    situation they describe. Each intent draws its situation from its own mix (a broken item
    leads to a replacement, a return or a refund chase; a late parcel to a status check, a
    cancellation or a redirection), so situations overlap between intents. Of those who
    describe a situation, 12% leave the ask unsaid and 15% make it vague ("Please advise.").
    Asks share words on purpose ("refund the extra charge" is a payment issue; "I don't want
    to cancel, just change the address" an address change). 2% of tickets get a label drawn
    at random, as when agents tag in a hurry.
    """
    rng = np.random.default_rng(seed)
    intents = tuple(INTENT_SHARES)
    drawn = in_shares(tuple(INTENT_SHARES.values()), rows, rng)
    messages = [_message(intents[i], rng) for i in drawn]
    mislabelled = rng.random(rows) < MISLABELLED_SHARE
    labels = [intents[rng.integers(len(intents))] if wrong else intents[i] for i, wrong in zip(drawn, mislabelled)]
    return pa.table({
        "ticket_id": pa.array([f"TK-{i + 1:06d}" for i in range(rows)], pa.string()),
        "message": pa.array(messages, pa.string()),
        "intent": pa.array(labels, pa.string()),
    })


def _message(intent: str, rng: np.random.Generator) -> str:
    slots = {
        "order": _order_number(rng),
        "product": pick(rng, PRODUCTS),
        "other": pick(rng, PRODUCTS),
        "carrier": pick(rng, CARRIERS),
        "payment": pick(rng, PAYMENTS),
        "days": pick(rng, WAITS),
        "person": pick(rng, ("sister", "mum", "daughter", "wife")),
    }
    situations = SITUATIONS_BY_INTENT[intent]
    situation = list(situations)[rng.choice(len(situations), p=list(situations.values()))]
    parts = [pick(rng, GREETINGS)]
    if rng.random() < 0.3:
        parts.append(f"I ordered a {slots['product']} {pick(rng, ('last week', 'on Friday', 'recently'))}.")
    if situation is not None:
        parts.append(pick(rng, SITUATIONS[situation]))
    ask = rng.random()
    if situation is None or ask > UNSAID_ASK + VAGUE_ASK:
        parts.append(pick(rng, ASKS[intent]))
    elif ask > UNSAID_ASK:
        parts.append(pick(rng, VAGUE_ASKS))
    parts.append(pick(rng, SIGN_OFFS))
    return as_typed(" ".join(p for p in parts if p).format(**slots), rng, care=rng.beta(2.5, 2))


def _order_number(rng: np.random.Generator) -> str:
    """Customers quote order numbers every which way."""
    number = int(rng.integers(100_000, 999_999))
    return pick(rng, (f"#{number}", f"{number}", f"no. {number}", f"ORD-{number}"))
