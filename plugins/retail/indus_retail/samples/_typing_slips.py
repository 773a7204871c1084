"""How shoppers type: on a phone, in a hurry, in chat shorthand.

Shared by the review and support-message generators so that a model sees the same kinds of
noise in both, and so that text tasks are not solved by spotting clean template phrases.
"""
import re

import numpy as np

# Chat shorthand and common misspellings seen in shop reviews and support chats.
SHORTHAND = {
    "you": "u",
    "your": "ur",
    "please": "pls",
    "thanks": "thx",
    "because": "cuz",
    "great": "gr8",
    "received": "recieved",
    "definitely": "definately",
    "really": "rly",
    "to be honest": "tbh",
    "as soon as possible": "asap",
    "though": "tho",
    "tomorrow": "tmrw",
    "delivery": "delivry",
    "order": "ordr",
}


def pick(rng: np.random.Generator, options):
    """One of `options`, each as likely as the others."""
    return options[rng.integers(len(options))]


def slip_letters(word: str, rng: np.random.Generator) -> str:
    """A fat-finger typo: two neighbouring letters swapped, one dropped, or one doubled."""
    if len(word) < 4 or not word.isalpha():
        return word
    at = int(rng.integers(1, len(word) - 2))
    kind = rng.integers(3)
    if kind == 0:
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if kind == 1:
        return word[:at] + word[at + 1:]
    return word[:at] + word[at] + word[at:]


def as_typed(text: str, rng: np.random.Generator, *, care: float) -> str:
    """`text` as a person might type it. `care` in [0, 1]: 1 leaves it as written, 0 is a
    hurried phone message (lower case, shorthand, typos, no final full stop)."""
    hurry = 1.0 - care
    for phrase, short in SHORTHAND.items():
        if rng.random() < 0.6 * hurry:
            text = re.sub(rf"\b{phrase}\b", short, text)  # whole words: "you" but not "young"
    words = [slip_letters(w, rng) if rng.random() < 0.05 * hurry else w for w in text.split(" ")]
    text = " ".join(words)
    if rng.random() < 0.7 * hurry:
        text = text.lower()
    if rng.random() < 0.5 * hurry:
        text = text.rstrip(".")
    return text
