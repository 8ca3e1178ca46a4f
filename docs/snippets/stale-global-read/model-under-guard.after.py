from concurrent.futures import ProcessPoolExecutor


def load_model():
    return {"bias": 10}


def _init_worker(model):
    """Pool initializer: bind what the parent shares with this worker process."""
    global MODEL
    MODEL = model


def predict(x):
    return x + MODEL["bias"]


if __name__ == "__main__":
    MODEL = load_model()
    with ProcessPoolExecutor(max_workers=2, initializer=_init_worker, initargs=(MODEL,)) as executor:
        print(list(executor.map(predict, range(3))))
