"""A deterministic generator of claim descriptions (pyarrow and numpy only)."""
import numpy as np
import pyarrow as pa

from indus_insurance.plugin import ROUTES

WORDING = {
    "fast_track": ["cracked windscreen", "lost luggage at the airport", "phone screen broken", "minor scratch on the door"],
    "standard": ["water leak damaged the kitchen floor", "rear-ended at a junction", "storm damage to the roof"],
    "investigate": ["total loss fire, no receipts", "second theft claim this year", "car stolen, keys were missing"],
}
OPENINGS = ["", "Hello, ", "Claim: ", "Reporting that ", "As discussed, "]


def claims(*, rows: int, seed: int) -> pa.Table:
    """`claim_id`, `description` (free text) and `route`, 60/30/10% fast_track/standard/investigate."""
    rng = np.random.default_rng(seed)
    routes = rng.choice(ROUTES, size=rows, p=[0.6, 0.3, 0.1])
    descriptions = [f"{rng.choice(OPENINGS)}{rng.choice(WORDING[route])}" for route in routes]
    return pa.table({"claim_id": np.arange(1, rows + 1), "description": descriptions, "route": routes.tolist()})
