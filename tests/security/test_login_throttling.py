"""Login throttling (django-axes): wrong passwords for one username from one address lock that pair out.

Both logins count, the host console's and the admin's, and the lockout page says what happened in the
visitor's language.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
HOST_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def host(db):
    user = UserFactory(username="host-a", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client: Client, url: str, password: str, address: str = "10.0.0.1", language: str = "zh-hans"):
    return client.post(
        url,
        {"username": "host-a", "password": password},
        REMOTE_ADDR=address,
        headers={"Accept-Language": language},
    )


def fail_until_locked(client: Client, url: str, address: str = "10.0.0.1"):
    responses = [attempt(client, url, "wrong", address) for _ in range(settings.AXES_FAILURE_LIMIT)]
    return responses[:-1], responses[-1]


def test_the_host_login_locks_out_after_the_failure_limit_even_for_the_right_password(client, host):
    before, locked = fail_until_locked(client, HOST_LOGIN)
    assert [response.status_code for response in before] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert locked.status_code == 429
    assert attempt(client, HOST_LOGIN, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_locks_out_after_the_failure_limit(client, host):
    _, locked = fail_until_locked(client, ADMIN_LOGIN)
    assert locked.status_code == 429
    assert attempt(client, ADMIN_LOGIN, PASSWORD).status_code == 429


def test_failures_on_the_host_login_also_lock_the_admin_login_for_that_username_and_address(client, host):
    fail_until_locked(client, HOST_LOGIN)
    assert attempt(client, ADMIN_LOGIN, PASSWORD).status_code == 429


def test_the_same_username_from_another_address_can_still_log_in(client, host):
    fail_until_locked(client, HOST_LOGIN, address="10.0.0.1")
    response = attempt(Client(), HOST_LOGIN, PASSWORD, address="10.0.0.2")
    assert response.status_code == 302 and response["Location"] == "/host/"


def test_a_right_password_before_the_limit_starts_the_count_again(client, host):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, HOST_LOGIN, "wrong")
    assert attempt(client, HOST_LOGIN, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, HOST_LOGIN, "wrong").status_code == 200
    assert attempt(client, HOST_LOGIN, PASSWORD).status_code == 302


def test_the_lockout_page_explains_it_in_chinese_by_default(client, host):
    _, locked = fail_until_locked(client, HOST_LOGIN)
    page = locked.content.decode()
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert "尝试次数过多" in page
    assert f"输错密码 {settings.AXES_FAILURE_LIMIT} 次" in page
    assert f"暂停登录 {minutes} 分钟" in page


def test_the_lockout_page_explains_it_in_english_to_an_english_browser(client, host):
    fail_until_locked(client, HOST_LOGIN)
    page = attempt(client, HOST_LOGIN, PASSWORD, language="en").content.decode()
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert "Too many attempts" in page
    assert f"a wrong password {settings.AXES_FAILURE_LIMIT} times from this device" in page
    assert f"paused here for {minutes} minutes" in page
