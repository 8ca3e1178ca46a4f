import multiprocessing as mp
import sqlite3

conn = None


def open_connection():
    """Once per worker process."""
    global conn
    conn = sqlite3.connect(":memory:")


def shout(word):
    return conn.execute("SELECT upper(?)", (word,)).fetchone()[0]


def row_count(path):
    # A different database on each call: not set-up that could be shared.
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]


if __name__ == "__main__":
    with mp.Pool(2, initializer=open_connection) as pool:
        print(pool.map(shout, ["spawn", "fork"]))
        print(pool.map(row_count, [":memory:"]))
