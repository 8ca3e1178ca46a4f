from concurrent.futures import ProcessPoolExecutor


def load_model():
    return {"bias": 10}


def predict(x):
    return x + MODEL["bias"]


if __name__ == "__main__":
    MODEL = load_model()
    with ProcessPoolExecutor(max_workers=2) as executor:
        print(list(executor.map(predict, range(3))))
