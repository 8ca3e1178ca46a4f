from concurrent.futures import ProcessPoolExecutor


if __name__ == "__main__":

    def shout(word):
        return word.upper() + "!"

    with ProcessPoolExecutor(max_workers=2) as executor:
        print(list(executor.map(shout, ["spawn", "fork"])))
