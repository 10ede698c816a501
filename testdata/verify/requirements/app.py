"""Appends a line to data/visits.log on each run, computed by the C extension."""
import os

import fastsum


def main():
    path = os.path.abspath(os.path.join("data", "visits.log"))
    with open(path, "a") as f:
        f.write(fastsum.report(100) + "\n")
    print(fastsum.report(1000))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))


if __name__ == "__main__":
    main()
