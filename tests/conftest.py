import sys
from pathlib import Path

import pytest

# The helpers in this folder (programs.py) are imported by the tests as plain modules.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty result cache of its own, never the user's."""
    monkeypatch.setenv("MPFIX_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
