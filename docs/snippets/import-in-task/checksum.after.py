import multiprocessing as mp
import hashlib


def checksum(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def main():
    with mp.Pool(2) as pool:
        for word, digest in zip(["spawn", "fork"], pool.map(checksum, ["spawn", "fork"])):
            print(word, digest)


if __name__ == "__main__":
    main()
