"""Counts its runs in /var/lib/counter/count.txt."""
import os

import fastsum


def main():
    path = "/var/lib/counter/count.txt"
    with open(path, "a") as f:
        f.write("run\n")
    print(fastsum.report(1000))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))


if __name__ == "__main__":
    main()
