"""fastsum: a C extension (fastsum._speedups) and a pure-Python dependency (greet)."""
from fastsum._speedups import sum_squares
from greet import hello

__all__ = ["sum_squares", "hello", "report"]


def report(n):
    return "%s: sum of squares below %d is %d" % (hello("fastsum"), n, sum_squares(n))
