"""greeter: counts its runs in ./state.txt (the working directory)."""
import os

import fastsum
import tally


def main():
    path = os.path.abspath("state.txt")
    with open(path, "a") as f:
        f.write("run\n")
    print("tally", tally.__version__)
    print(fastsum.report(1000))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))
