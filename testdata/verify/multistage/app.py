"""Saves an upload in /app/uploads."""
import os

import fastsum


def main():
    path = os.path.join("/app/uploads", "upload-%d.txt" % os.getpid())
    with open(path, "w") as f:
        f.write(fastsum.report(1000) + "\n")
    print(fastsum.report(1000))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))


if __name__ == "__main__":
    main()
