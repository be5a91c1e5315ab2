"""Registration and sign-in by mobile number and one-time code; the contestant's own data."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competition.models import District
from competition.online.errors import OnlineError
from competition.online.models import Contestant, SignInCode
from competition.online.services import identity
from tests.online.conftest import make_contestant

pytestmark = pytest.mark.django_db


def url(stage, name, *args):
    return reverse(f"online:{name}", args=[stage.slug, *args])


def last_code(outbox):
    return re.search(r"\d{6}", outbox[-1][1]).group(0)


def register(client, stage, sms, mobile="13912345678", **extra):
    district = District.objects.filter(division__competition=stage.competition).first()
    data = {
        "name": "王小明",
        "mobile": mobile,
        "district": district.pk,
        "key_group": "worker",
        "unit": "北京某厂",
        "consent": "on",
    }
    data.update(extra)
    return client.post(url(stage, "register"), data)


def test_registering_sends_a_code_and_the_code_creates_the_contestant_and_signs_in(client, stage, sms):
    response = register(client, stage, sms)
    assert response.status_code == 302 and response["Location"] == url(stage, "verify")
    assert sms[-1][0] == "13912345678"
    assert not Contestant.objects.exists()  # not before the number is proven
    response = client.post(url(stage, "verify"), {"code": last_code(sms)})
    assert response.status_code == 302
    contestant = Contestant.objects.get()
    assert (contestant.name, contestant.display_name, contestant.unit, contestant.key_group) == (
        "王小明",
        "王**",
        "北京某厂",
        "worker",
    )
    assert contestant.district.division_id == contestant.division_id
    assert contestant.consent_at is not None and contestant.privacy_version == stage.privacy_version
    page = client.get(url(stage, "home"))
    assert page.context["contestant"] == contestant


def test_a_year_of_birth_is_optional_and_kept_when_given(client, stage, sms):
    register(client, stage, sms, birth_year="1985")
    client.post(url(stage, "verify"), {"code": last_code(sms)})
    contestant = Contestant.objects.get()
    assert contestant.birth_year == 1985
    assert identity.contestant_data(contestant)["birth_year"] == 1985
    assert Contestant.objects.filter(birth_year__isnull=True).count() == 0


def test_without_a_year_of_birth_the_contestant_registers_all_the_same(client, stage, sms):
    register(client, stage, sms)
    client.post(url(stage, "verify"), {"code": last_code(sms)})
    assert Contestant.objects.get().birth_year is None


@pytest.mark.parametrize("year", ["1899", str(timezone.localdate().year - 4), "85", "一九八五"])
def test_an_impossible_year_of_birth_is_refused_on_the_form_and_sends_nothing(client, stage, sms, year):
    response = register(client, stage, sms, birth_year=year)
    assert response.status_code == 200 and "birth_year" in response.context["form"].errors
    assert not sms and not Contestant.objects.exists()


def test_registration_without_consent_is_refused_with_the_reason(client, stage, sms):
    response = register(client, stage, sms, consent="")
    assert response.status_code == 200
    assert "consent" in response.context["form"].errors
    assert not sms


def test_a_malformed_mobile_number_is_refused_on_the_form(client, stage, sms):
    response = register(client, stage, sms, mobile="12345")
    assert "mobile" in response.context["form"].errors


def test_a_wrong_code_counts_a_try_and_the_right_code_still_works(client, stage, sms):
    register(client, stage, sms)
    response = client.post(
        url(stage, "verify"), {"code": "000000" if last_code(sms) != "000000" else "111111"}
    )
    assert response.status_code == 409 and response.context["code"] == "code_invalid"
    assert SignInCode.objects.get().tries == 1
    client.post(url(stage, "verify"), {"code": last_code(sms)})
    assert Contestant.objects.count() == 1


def test_a_code_cannot_be_used_twice(stage, sms):
    identity.code_send(stage=stage, mobile="13900000001", address="10.0.0.1")
    code = last_code(sms)
    identity.code_check(stage=stage, mobile="13900000001", code=code)
    with pytest.raises(OnlineError) as refused:
        identity.code_check(stage=stage, mobile="13900000001", code=code)
    assert refused.value.code == "code_used"


def test_an_expired_code_is_refused(stage, sms):
    past = timezone.now() - timedelta(minutes=6)
    identity.code_send(stage=stage, mobile="13900000001", address=None, now=past)
    with pytest.raises(OnlineError) as refused:
        identity.code_check(stage=stage, mobile="13900000001", code=last_code(sms))
    assert refused.value.code == "code_expired"


def test_five_wrong_codes_use_up_the_code(stage, sms):
    identity.code_send(stage=stage, mobile="13900000001", address=None)
    code = last_code(sms)
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(5):
        with pytest.raises(OnlineError):
            identity.code_check(stage=stage, mobile="13900000001", code=wrong)
    with pytest.raises(OnlineError) as refused:
        identity.code_check(stage=stage, mobile="13900000001", code=code)
    assert refused.value.code == "code_tries"


def test_codes_are_stored_only_as_keyed_hashes(stage, sms):
    identity.code_send(stage=stage, mobile="13900000001", address=None)
    row = SignInCode.objects.get()
    assert last_code(sms) not in row.digest and len(row.digest) == 64


def test_a_second_code_within_a_minute_is_refused_with_the_wait(stage, sms):
    identity.code_send(stage=stage, mobile="13900000001", address=None)
    with pytest.raises(OnlineError) as refused:
        identity.code_send(stage=stage, mobile="13900000001", address=None)
    assert refused.value.code == "code_rate_limited" and 0 < refused.value.retry_after_s <= 61
    assert len(sms) == 1


def test_codes_per_address_are_limited_per_hour(stage, sms):
    now = timezone.now()
    for n in range(20):
        identity.code_send(stage=stage, mobile=f"1390000{n:04d}", address="10.0.0.9", now=now)
    with pytest.raises(OnlineError) as refused:
        identity.code_send(stage=stage, mobile="13911111111", address="10.0.0.9", now=now)
    assert refused.value.code == "code_rate_limited"


def test_signing_in_with_an_unregistered_number_looks_the_same_and_sends_nothing(client, stage, sms):
    response = client.post(url(stage, "signin"), {"mobile": "13700000000"})
    assert response.status_code == 302 and response["Location"] == url(stage, "verify")
    assert not sms


def test_signing_in_by_code(client, stage, sms):
    contestant = make_contestant(stage, 3)
    client.post(url(stage, "signin"), {"mobile": contestant.mobile})
    response = client.post(url(stage, "verify"), {"code": last_code(sms)})
    assert response.status_code == 302
    assert client.get(url(stage, "home")).context["contestant"] == contestant
    assert response.cookies["jjj_device"].value


def test_registering_a_registered_number_says_so(client, stage, sms):
    contestant = make_contestant(stage, 4)
    response = register(client, stage, sms, mobile=contestant.mobile)
    assert response.status_code == 409 and response.context["code"] == "already_registered"


def test_pages_show_the_mobile_number_masked(client, stage, contestant):
    session = client.session
    session["online_contestant"] = contestant.pk
    session.save()
    page = client.get(url(stage, "me")).content.decode()
    assert "138****0000" in page and contestant.mobile not in page


def test_the_data_download_holds_everything_including_the_full_number(client, stage, contestant):
    session = client.session
    session["online_contestant"] = contestant.pk
    session.save()
    response = client.get(url(stage, "me-data"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["mobile"] == contestant.mobile and data["district"] == contestant.district.name
    assert data["attempts"] == []


def test_deleting_needs_a_confirmation_and_removes_everything(client, stage, contestant, sms):
    identity.code_send(stage=stage, mobile=contestant.mobile, address=None)
    session = client.session
    session["online_contestant"] = contestant.pk
    session.save()
    assert client.post(url(stage, "me-delete"), {}).status_code == 400
    assert Contestant.objects.filter(pk=contestant.pk).exists()
    response = client.post(url(stage, "me-delete"), {"confirm": "on"})
    assert response.status_code == 200
    assert not Contestant.objects.filter(pk=contestant.pk).exists()
    assert not SignInCode.objects.filter(mobile=contestant.mobile).exists()
    assert client.get(url(stage, "me")).status_code == 302  # signed out


def test_public_boards_show_only_the_display_name_and_district(client, stage):
    contestant = make_contestant(stage, 5, name="真实姓名", display_name="公开名", unit="某单位", points=50)
    page = client.get(url(stage, "boards")).content.decode()
    assert "公开名" in page and contestant.district.name in page
    assert "真实姓名" not in page and contestant.mobile not in page and "0005" not in page
