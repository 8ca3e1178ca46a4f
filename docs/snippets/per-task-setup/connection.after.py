import multiprocessing as mp
import os
import sqlite3
import tempfile

DB = os.path.join(tempfile.gettempdir(), "mpfix-prices.db")


conn = None


def _init_price():
    """Pool initializer: set up, once per worker, what every call of `price` uses."""
    global conn
    conn = sqlite3.connect(DB)


def price(item):
    row = conn.execute("SELECT price FROM prices WHERE item = ?", (item,)).fetchone()
    return item, row[0]


def main():
    with sqlite3.connect(DB) as db:
        db.execute("CREATE TABLE IF NOT EXISTS prices (item TEXT PRIMARY KEY, price REAL)")
        db.executemany("INSERT OR REPLACE INTO prices VALUES (?, ?)", [("apple", 0.5), ("bread", 2.25)])
    with mp.Pool(2, initializer=_init_price) as pool:
        for item, cost in pool.map(price, ["apple", "bread", "apple"]):
            print(f"{item}: {cost:.2f}")


if __name__ == "__main__":
    main()
