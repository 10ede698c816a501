"""manage.py migrate: creates db.sqlite3; manage.py record: adds a row."""
import os
import sqlite3
import sys

import fastsum

DB = os.path.abspath("db.sqlite3")


def main(cmd):
    db = sqlite3.connect(DB)
    if cmd == "migrate":
        db.execute("CREATE TABLE IF NOT EXISTS visits (report TEXT)")
        db.commit()
        print("migrated", DB)
        return
    db.execute("INSERT INTO visits VALUES (?)", (fastsum.report(1000),))
    db.commit()
    n = db.execute("SELECT count(*) FROM visits").fetchone()[0]
    print(fastsum.report(1000), "- visits:", n)
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), DB))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "record")
