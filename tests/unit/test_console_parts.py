"""The console's pure parts: the session cookie, the sign-in limit, the shared word runs,
the review's overall, and which requests count as sent by another site."""

from __future__ import annotations

import uuid
from decimal import Decimal

from starlette.requests import Request

from domain.review_descriptors import DESCRIPTORS, overall_of
from domain.shared_runs import shared_runs
from workers.console import cookies
from workers.console.throttle import SignInThrottle
from workers.console.web import cross_site, safe_next

KEY = b"k" * 32


def test_a_cookie_reads_back_only_unaltered_with_its_key_and_while_not_idle() -> None:
    cookie = cookies.SessionCookie(uuid.uuid4(), 1000.0, 1000.0)
    value = cookies.encode(cookie, key=KEY)
    assert cookies.decode(value, key=KEY, now=1100.0, idle_seconds=300) == cookie
    assert cookies.decode(value, key=b"other", now=1100.0, idle_seconds=300) is None
    assert cookies.decode(value, key=KEY, now=1302.0, idle_seconds=300) is None
    body, mac = value.split(".")
    assert cookies.decode(body[:-1] + "x." + mac, key=KEY, now=1100.0, idle_seconds=300) is None
    for junk in (None, "", "no-dot", "a.b.c", "%%%.%%%"):
        assert cookies.decode(junk, key=KEY, now=1100.0, idle_seconds=300) is None


def test_failed_sign_ins_are_limited_per_account_and_per_address() -> None:
    throttle = SignInThrottle(account_failures=2, address_failures=3, window_seconds=60)
    for _ in range(2):
        assert throttle.wait_seconds(email="A@x", address="1.1.1.1", now=0) == 0
        throttle.failed(email="a@x", address="1.1.1.1", now=0)
    # The account is limited (its email in any case); another account from there is not yet.
    assert throttle.wait_seconds(email="a@X", address="2.2.2.2", now=1) == 59
    assert throttle.wait_seconds(email="b@x", address="1.1.1.1", now=1) == 0
    throttle.failed(email="b@x", address="1.1.1.1", now=1)
    assert throttle.wait_seconds(email="c@x", address="1.1.1.1", now=2) == 58
    # The window moves on.
    assert throttle.wait_seconds(email="a@x", address="2.2.2.2", now=61) == 0


def test_the_runs_two_texts_share_are_marked_in_both() -> None:
    left, right, runs = shared_runs(
        "I think that people should help others.", "Most people should help others, I think."
    )
    assert runs == 2  # "people should help", "should help others"
    assert [p.text for p in left if p.shared] == ["people should help others"]
    assert [p.text for p in right if p.shared] == ["people should help others"]
    assert "".join(p.text for p in left) == "I think that people should help others."
    assert shared_runs("one two", "one two")[2] == 0


def test_the_overall_is_the_mean_of_scored_criteria_rounded_half_up() -> None:
    assert overall_of({"a": Decimal("6"), "b": Decimal("6.5"), "c": None}) == Decimal("6.5")
    assert overall_of({"a": Decimal("2.25"), "b": Decimal("2.25")}) == Decimal("2.5")
    assert overall_of({"a": None}) is None
    assert set(DESCRIPTORS) >= {"taskFulfillment", "pronunciation", "discourseManagement"}


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "c:8090", **headers}.items()]
    return Request({"type": "http", "method": "POST", "scheme": "http", "path": "/x",
                    "headers": raw, "query_string": b"", "server": ("c", 8090)})  # fmt: skip


def test_another_site_is_told_apart_by_fetch_metadata_then_origin() -> None:
    assert not cross_site(_request({"Sec-Fetch-Site": "same-origin"}))
    assert not cross_site(_request({"Sec-Fetch-Site": "none"}))
    assert cross_site(_request({"Sec-Fetch-Site": "same-site", "Origin": "http://c:8090"}))
    assert cross_site(_request({"Sec-Fetch-Site": "cross-site"}))
    assert not cross_site(_request({"Origin": "http://c:8090"}))
    assert cross_site(_request({"Origin": "http://c:9999"}))
    assert cross_site(_request({"Origin": "null"}))
    assert not cross_site(_request({}))


def test_only_a_path_of_the_console_is_a_place_to_go_after_sign_in() -> None:
    assert safe_next("/review?x=1") == "/review?x=1"
    for bad in ("https://evil.example/", "//evil.example", "evil", "", None, "/\\evil"):
        assert safe_next(bad) == "/", bad


def test_the_session_cookie_is_httponly_strict_and_secure_over_https() -> None:
    from starlette.responses import Response

    from workers.console.web import set_session_cookie

    cookie = cookies.SessionCookie(uuid.uuid4(), 1.0, 1.0)
    for scheme, secure in (("http", False), ("https", True)):
        request = Request(
            {"type": "http", "method": "GET", "scheme": scheme, "path": "/", "headers": [],
             "query_string": b"", "server": ("c", 443)}
        )  # fmt: skip
        response = Response()
        set_session_cookie(request, response, cookie, key=KEY)
        header = response.headers["set-cookie"]
        assert "HttpOnly" in header and "SameSite=strict" in header
        assert ("Secure" in header) is secure
