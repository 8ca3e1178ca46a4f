import multiprocessing as mp


def main():
    child = mp.Process(target=lambda: print("hello from the child"))
    child.start()
    child.join()
    print("exit code:", child.exitcode)


if __name__ == "__main__":
    main()
