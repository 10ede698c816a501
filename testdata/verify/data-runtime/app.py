"""Records each run in data/app.db (SQLite), made at run time."""
import os
import sqlite3

import fastsum


def main():
    os.makedirs("data", exist_ok=True)
    path = os.path.abspath(os.path.join("data", "app.db"))
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS runs (report TEXT)")
    db.execute("INSERT INTO runs VALUES (?)", (fastsum.report(1000),))
    db.commit()
    n = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    print(fastsum.report(1000), "- runs:", n)
    print("smoke ok: uid=%d wrote %s" % (os.getuid(), path))


if __name__ == "__main__":
    main()
