"""The SSRF guard refuses every non-public target and pins the address it checked."""

from __future__ import annotations

import ipaddress

import pytest

from spinelift.errors import NetworkError, UnsafeUrlError
from spinelift.net import Target, UrlPolicy, check_url, is_public_address
from tests.net.conftest import FakeDns

STRICT = UrlPolicy()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "non_public_address"),
        ("http://127.0.0.1:8080/x?y=1", "non_public_address"),
        ("http://localhost/", "non_public_address"),
        ("http://10.0.0.1/", "non_public_address"),
        ("http://172.16.0.1/", "non_public_address"),
        ("http://192.168.1.1/", "non_public_address"),
        ("http://169.254.169.254/latest/meta-data/", "non_public_address"),
        ("http://100.64.0.1/", "non_public_address"),
        ("http://0.0.0.0/", "non_public_address"),
        ("http://198.18.0.1/", "non_public_address"),
        ("http://192.0.2.1/", "non_public_address"),
        ("http://224.0.0.1/", "non_public_address"),
        ("http://255.255.255.255/", "non_public_address"),
        ("http://[::1]/", "non_public_address"),
        ("http://[::]/", "non_public_address"),
        ("http://[::ffff:127.0.0.1]/", "non_public_address"),
        ("http://[::ffff:7f00:1]/", "non_public_address"),
        ("http://[::127.0.0.1]/", "non_public_address"),
        ("http://[64:ff9b::a00:1]/", "non_public_address"),
        ("http://[2002:7f00:1::]/", "non_public_address"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "non_public_address"),
        ("http://[fe80::1]/", "non_public_address"),
        ("http://[fc00::1]/", "non_public_address"),
        ("http://[fd12:3456::1]/", "non_public_address"),
        ("http://[fec0::1]/", "non_public_address"),
        ("http://[ff02::1]/", "non_public_address"),
        ("http://2130706433/", "non_public_address"),
        ("http://0x7f000001/", "non_public_address"),
        ("http://017700000001/", "non_public_address"),
        ("http://0x7f.1/", "non_public_address"),
        ("http://127.1/", "non_public_address"),
        ("http://0177.0.0.1/", "invalid_url"),  # httpx refuses dotted octal outright
        ("ftp://example.com/", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("gopher://example.com/", "scheme_not_allowed"),
        ("http://user:pw@example.com/", "credentials_in_url"),
        ("http://user@example.com/", "credentials_in_url"),
        ("http:///path", "missing_host"),
        ("http://example.com:0/", "bad_port"),
        ("http://example.com:99999/", "bad_port"),
        ("http://[zz]/", "invalid_url"),
        ("not a url", "scheme_not_allowed"),
    ],
)
def test_refused(url: str, reason: str, fake_dns: FakeDns) -> None:
    fake_dns.add("localhost", ["127.0.0.1", "::1"])
    with pytest.raises(UnsafeUrlError) as caught:
        check_url(url, STRICT)
    assert caught.value.details["reason"] == reason
    assert caught.value.details["url"] == url
    assert isinstance(caught.value, NetworkError)
    assert caught.value.to_dict()["error"]["code"] == "UNSAFE_URL"


def test_numeric_hosts_are_read_as_the_resolver_reads_them() -> None:
    for url in ("http://2130706433/", "http://0x7f.1/", "http://017700000001/"):
        target = check_url(url, UrlPolicy(allow_private=True))
        assert target.address == "127.0.0.1"


def test_a_name_resolving_to_a_private_address_is_refused(fake_dns: FakeDns) -> None:
    fake_dns.add("evil.test", ["127.0.0.1"])
    with pytest.raises(UnsafeUrlError) as caught:
        check_url("https://evil.test/x.png", STRICT)
    assert caught.value.details["address"] == "127.0.0.1"


def test_one_private_answer_among_public_ones_refuses_the_name(fake_dns: FakeDns) -> None:
    fake_dns.add("multi.test", ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(UnsafeUrlError) as caught:
        check_url("https://multi.test/", STRICT)
    assert caught.value.details["address"] == "10.0.0.1"


def test_an_unresolvable_name_is_refused(fake_dns: FakeDns) -> None:
    with pytest.raises(UnsafeUrlError) as caught:
        check_url("https://nowhere.test/", STRICT)
    assert caught.value.details["reason"] == "unresolvable"


def test_a_public_name_passes_and_is_pinned_to_its_checked_address(fake_dns: FakeDns) -> None:
    fake_dns.add("images.test", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    target = check_url("https://Images.TEST./a/b.png?sig=1%202", STRICT)
    assert target == Target(
        scheme="https",
        host="images.test",
        port=443,
        address="93.184.216.34",
        path_and_query="/a/b.png?sig=1%202",
    )
    assert fake_dns.calls == {"images.test": 1}


def test_public_literals_pass_without_dns() -> None:
    assert check_url("http://93.184.216.34:8080/", STRICT).port == 8080
    assert check_url("http://[2606:4700::1111]/", STRICT).address == "2606:4700::1111"


def test_allow_hosts_admits_a_named_internal_host_only(fake_dns: FakeDns) -> None:
    fake_dns.add("storage.internal", ["10.0.0.5"])
    fake_dns.add("other.internal", ["10.0.0.6"])
    policy = UrlPolicy(allow_hosts=("Storage.Internal",))
    assert check_url("http://storage.internal:9000/b/k", policy).address == "10.0.0.5"
    with pytest.raises(UnsafeUrlError):
        check_url("http://other.internal/", policy)
    with pytest.raises(UnsafeUrlError):
        check_url("http://10.0.0.5/", policy)


def test_allow_private_admits_loopback_but_not_bad_schemes() -> None:
    policy = UrlPolicy(allow_private=True)
    assert check_url("http://127.0.0.1:1234/", policy).address == "127.0.0.1"
    with pytest.raises(UnsafeUrlError):
        check_url("file:///etc/passwd", policy)


def test_schemes_are_configurable() -> None:
    with pytest.raises(UnsafeUrlError):
        check_url("http://93.184.216.34/", UrlPolicy(allowed_schemes=("https",)))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),  # IPv4-mapped: judged by the embedded address
        ("64:ff9b::808:808", True),  # NAT64 of a public address
        ("2002:808:808::1", True),  # 6to4 of a public address
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.255", False),
        ("0.0.0.0", False),
        ("198.19.0.1", False),
        ("198.51.100.7", False),
        ("203.0.113.7", False),
        ("192.0.0.8", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::7f00:1", False),  # IPv4-compatible
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b:1::1", False),
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2001::1", False),  # Teredo
        ("2001:db8::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("100::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
