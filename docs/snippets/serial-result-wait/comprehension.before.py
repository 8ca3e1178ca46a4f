from multiprocessing import Pool


def cube(n):
    return n**3


if __name__ == "__main__":
    with Pool(4) as pool:
        cubes = [pool.apply(cube, (n,)) for n in range(1, 7)]
    print(cubes)
