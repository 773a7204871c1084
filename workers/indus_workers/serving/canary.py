"""Which of an alias's two versions answers a request, by weight.

Not a coin toss per request: a smooth weighted round-robin, so that after n requests the
canary has answered round(n * weight) of them give or take one, whatever n. A random split of
2,000 requests at 10% strays past 3 points now and then; this one never does, and the versions
still interleave (the canary is not answered in one block).
"""
import threading


class CanarySplit:
    def __init__(self):
        self._credit: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def choose(self, key: tuple, *, main, canary, canary_percent: int):
        """`canary` for `canary_percent` in 100 of the calls with this key, else `main`."""
        if canary is None or canary_percent <= 0:
            return main
        if canary_percent >= 100:
            return canary
        with self._lock:
            credit = self._credit.get(key, 0.0) + canary_percent / 100
            chosen = canary if credit >= 1 else main
            self._credit[key] = credit - 1 if credit >= 1 else credit
        return chosen
