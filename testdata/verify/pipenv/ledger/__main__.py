"""Ledger: appends an entry to $LEDGER_DIR/ledger.txt."""
import os

import fastsum
import tally

path = os.path.join(os.environ["LEDGER_DIR"], "ledger.txt")
with open(path, "a") as f:
    f.write(fastsum.report(10) + "\n")
print("tally", tally.__version__)
print(fastsum.report(1000))
print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))
