"""Counts its runs in ~/.cache/pipuser/runs.txt; runs the tally console script."""
import os
import subprocess

import fastsum


def main():
    d = os.path.join(os.path.expanduser("~"), ".cache", "pipuser")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "runs.txt")
    with open(path, "a") as f:
        f.write("run\n")
    subprocess.run(["tally", "--version"], check=True)
    print(fastsum.report(1000))
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))


if __name__ == "__main__":
    main()
