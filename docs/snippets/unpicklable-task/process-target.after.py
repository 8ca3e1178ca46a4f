import multiprocessing as mp


def _main_target():
    return print("hello from the child")


def main():
    child = mp.Process(target=_main_target)
    child.start()
    child.join()
    print("exit code:", child.exitcode)


if __name__ == "__main__":
    main()
