import os
from pathlib import Path

import pytest

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path):
    """Where a browser test saves its screenshots.

    Plain test runs write them to a temporary directory so the working tree stays clean;
    ``UPDATE_SCREENSHOTS=1`` writes them into ``docs/screenshots/`` for the guides.
    """
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path
