"""Notes: appends a note to $XDG_DATA_HOME/notes (default ~/.local/share/notes)."""
import os

import tally
from greet import hello


def data_dir():
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "notes")


def main():
    d = data_dir()
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "notes.txt")
    with open(path, "a") as f:
        f.write(hello("notes") + "\n")
    print("tally", tally.__version__, tally.count(["a", "b", "a"]))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))
