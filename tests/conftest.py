import sys
from pathlib import Path

# The helpers in this folder (programs.py) are imported by the tests as plain modules.
sys.path.insert(0, str(Path(__file__).parent))
