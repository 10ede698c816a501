"""tally: a pure-Python package with a console script (tally) and a dependency (greet)."""
from greet import hello

__version__ = "1.0"


def count(words):
    """How many times each word occurs, most frequent first."""
    seen = {}
    for w in words:
        seen[w] = seen.get(w, 0) + 1
    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
