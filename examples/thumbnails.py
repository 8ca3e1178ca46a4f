"""Print small ASCII thumbnails of the grey-scale images in images/.

Each image is read and shrunk in a worker process. Run it with ``python thumbnails.py``.
"""

from multiprocessing import Pool
from pathlib import Path

IMAGE_DIR = Path(__file__).parent / "images"
THUMB_SIZE = 8  # thumbnails are THUMB_SIZE x THUMB_SIZE pixels
RAMP = " .:-=+*#%@"  # from dark to light


def read_pgm(path):
    """Width, height and rows of pixels (0-255) of a plain-text PGM (P2) file."""
    lines = path.read_text().splitlines()
    tokens = [token for line in lines if not line.startswith("#") for token in line.split()]
    if tokens[0] != "P2":
        raise ValueError(f"{path.name}: not a plain PGM file")
    width, height, max_value = (int(token) for token in tokens[1:4])
    values = [int(token) * 255 // max_value for token in tokens[4:]]
    rows = [values[y * width : (y + 1) * width] for y in range(height)]
    return width, height, rows


def shrink(rows, size):
    """The average of each block of pixels, so that ``rows`` becomes ``size`` x ``size``."""
    block_height, block_width = len(rows) // size, len(rows[0]) // size

    def average(top, left):
        block = [
            value
            for row in rows[top : top + block_height]
            for value in row[left : left + block_width]
        ]
        return sum(block) // len(block)

    return [
        [average(y * block_height, x * block_width) for x in range(size)] for y in range(size)
    ]


def render(rows):
    """Two characters per pixel, so that the thumbnail looks square in a terminal."""
    return "\n".join(
        "".join(RAMP[value * (len(RAMP) - 1) // 255] * 2 for value in row) for row in rows
    )


def make_thumbnail(path):
    width, height, rows = read_pgm(path)
    return path.name, width, height, render(shrink(rows, THUMB_SIZE))


paths = sorted(IMAGE_DIR.glob("*.pgm"))
with Pool(2) as pool:
    thumbnails = pool.map(make_thumbnail, paths)

for name, width, height, art in thumbnails:
    print(f"{name} ({width}x{height})")
    print(art)
    print()
