import os
from multiprocessing import Pool


def shout(word):
    return word.upper() + SUFFIX


pool = Pool(2)
# Moving this under the guard would hide SUFFIX from the workers.
SUFFIX = os.environ.get("SUFFIX", "!")
print(pool.map(shout, ["spawn", "fork"]))
pool.close()
