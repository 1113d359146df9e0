"""The one client-IP helper: what each proxy set-up makes of X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from sms.net import client_ip

CASES = [
    # (trusted proxies, REMOTE_ADDR, X-Forwarded-For, the client)
    (0, "203.0.113.7", "", "203.0.113.7"),
    (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # no proxy trusted: the header is the client's own words
    (1, "10.0.0.2", "198.51.100.9", "198.51.100.9"),
    (1, "10.0.0.2", "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # a forged left entry is ignored
    (2, "10.0.0.3", "6.6.6.6, 198.51.100.9, 10.0.0.2", "198.51.100.9"),
    (2, "10.0.0.3", "10.0.0.2", "10.0.0.3"),  # fewer entries than proxies: not through all of them
    (1, "10.0.0.2", "garbage", "10.0.0.2"),
    (1, "10.0.0.2", "198.51.100.9:51234", "198.51.100.9"),
    (1, "10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
    (1, "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    (0, "", "", "0.0.0.0"),
]


@pytest.mark.parametrize(("trusted", "remote", "forwarded", "expected"), CASES)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.SMS_TRUSTED_PROXY_COUNT = trusted
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected


def test_axes_uses_the_same_helper(settings):
    from axes.helpers import get_client_ip_address

    settings.SMS_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    assert get_client_ip_address(request) == "198.51.100.9"
