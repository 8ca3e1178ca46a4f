import multiprocessing as mp
import sqlite3

DB = "orders.db"


def record(order):
    conn = sqlite3.connect(DB)
    try:
        with conn:  # one transaction per order, committed here
            conn.execute("INSERT INTO orders VALUES (?)", (order,))
    finally:
        conn.close()


if __name__ == "__main__":
    with mp.Pool(2) as pool:
        pool.map(record, ["a-1", "a-2"])
