import multiprocessing as mp


def main():
    # A fork child is a copy of the parent: the target is inherited, never pickled.
    fork = mp.get_context("fork")
    child = fork.Process(target=lambda: print("hello from the child"))
    child.start()
    child.join()


if __name__ == "__main__":
    main()
