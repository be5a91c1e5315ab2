"""What every browser test shares: Debian's chromium, launched the one way it runs here, and a host login."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# No sandbox (tests run as root in a container), no GPU, and no background requests to the internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TEST_PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's password


async def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail("needs Debian chromium: apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji")
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def log_in(page, base: str, next_path: str, username: str) -> None:
    """Log in through the login page, which then goes on to ``next_path``."""
    await page.goto(f"{base}/accounts/login/?next={next_path}")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(TEST_PASSWORD)
    await page.get_by_test_id("login-submit").click()
