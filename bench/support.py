"""What the benchmarks share."""


class SilentEvents:
    """RunEvents that report nothing: a benchmark times the runtime, not its reporting."""

    def progress(self, *args): pass
    def metric(self, *args): pass
    def log(self, *args): pass
    def checkpoint(self, *args): pass
    def should_stop(self): return False
