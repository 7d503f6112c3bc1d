"""Shared by the Python benches: the median wall time of a call over a work list."""
import statistics
import time


def median_ms(call, work, repeats: int) -> float:
    """Median milliseconds of call(*item) over `repeats` passes of `work`, after one warm-up pass."""
    for item in work:
        call(*item)
    times = []
    for _ in range(repeats):
        for item in work:
            started = time.perf_counter()
            call(*item)
            times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)
