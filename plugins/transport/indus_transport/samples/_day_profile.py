"""The shape of a day on the roads, shared by traffic demand and bus congestion."""
import numpy as np


def bump(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A smooth peak of height 1 at `centre` o'clock, `width` hours either side to ~60%."""
    return np.exp(-0.5 * ((hour - centre) / width) ** 2)
