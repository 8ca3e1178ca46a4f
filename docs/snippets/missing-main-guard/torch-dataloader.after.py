from torch.utils.data import DataLoader

if __name__ == "__main__":
    SAMPLES = [x * 10 for x in range(6)]

    loader = DataLoader(SAMPLES, batch_size=2, num_workers=2)
    for batch in loader:
        print(batch.tolist())
