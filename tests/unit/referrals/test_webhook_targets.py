"""SSRF protection: only public addresses receive webhooks, checked at registration and again at delivery."""
import pytest

from services.referrals.webhook_dispatch import post_webhook
from services.referrals.webhook_targets import TargetRefused, address_allowed, resolve_target


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.9.10", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "192.0.2.1", "198.18.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1"])
def test_non_public_addresses_are_refused(address):
    assert address_allowed(address, allow_loopback=False) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "133.242.0.1", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address, allow_loopback=False) is True


def test_configuration_may_allow_loopback_only():
    assert address_allowed("127.0.0.1", allow_loopback=True)
    assert address_allowed("::1", allow_loopback=True)
    for other in ("10.0.0.1", "192.168.0.1", "169.254.169.254", "fe80::1", "0.0.0.0"):
        assert not address_allowed(other, allow_loopback=True)


def resolver_for(table):
    def resolve(host, port):
        return table[host]
    return resolve


def test_resolution_decides_not_the_name():
    resolver = resolver_for({"partner.example.jp": ["203.0.113.9", "93.184.215.14"],
                             "sneaky.example.jp": ["93.184.215.14", "10.1.2.3"],
                             "metadata.example.jp": ["169.254.169.254"]})
    # 203.0.113.0/24 is documentation space: one non-public answer is enough to refuse.
    with pytest.raises(TargetRefused):
        resolve_target("https://partner.example.jp/hook", False, resolver)
    with pytest.raises(TargetRefused):
        resolve_target("https://sneaky.example.jp/hook", False, resolver)
    with pytest.raises(TargetRefused):
        resolve_target("https://metadata.example.jp/", False, resolver)
    ok = resolve_target("https://good.example.jp:8443/a/b?x=1",
                        False, resolver_for({"good.example.jp": ["93.184.215.14"]}))
    assert (ok.host, ok.port, ok.path, ok.address) == ("good.example.jp", 8443, "/a/b?x=1", "93.184.215.14")


@pytest.mark.parametrize("url", ["ftp://partner.example.jp/", "https://user:pw@partner.example.jp/",
                                 "https:///nohost", "https://partner.example.jp/#frag", "partner.example.jp",
                                 "https://partner.example.jp:99999/", "https://" + "a" * 3000 + ".jp/"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(TargetRefused):
        resolve_target(url, False, resolver_for({"partner.example.jp": ["93.184.215.14"]}))


def test_plain_http_only_for_allowed_loopback():
    public = resolver_for({"partner.example.jp": ["93.184.215.14"], "localhost": ["127.0.0.1"]})
    with pytest.raises(TargetRefused, match="https"):
        resolve_target("http://partner.example.jp/hook", True, public)
    with pytest.raises(TargetRefused):
        resolve_target("http://localhost:8080/hook", False, public)
    assert resolve_target("http://localhost:8080/hook", True, public).address == "127.0.0.1"


def test_a_name_that_does_not_resolve_is_refused():
    import socket

    def failing(host, port):
        raise socket.gaierror("no such name")
    with pytest.raises(TargetRefused, match="resolve"):
        resolve_target("https://nowhere.invalid/", False, failing)


def test_a_name_that_turns_private_after_registration_is_refused_at_delivery_without_connecting():
    answers = {"partner.example.jp": ["93.184.215.14"]}
    resolver = resolver_for(answers)
    assert resolve_target("https://partner.example.jp/hook", False, resolver)  # registration passes
    answers["partner.example.jp"] = ["10.0.0.7"]  # the DNS record changes (rebinding)
    result = post_webhook("https://partner.example.jp/hook", "{}", delivery_id="d", event_type="referral.accepted",
                          secrets=["whsec_x"], timeout=0.5, allow_loopback=False, resolver=resolver)
    assert result.outcome == "refused_target" and result.status_code is None
    assert result.error_class == "TargetRefused"


def test_the_host_header_names_the_registered_host_not_the_address():
    from services.referrals.webhook_dispatch import _host_header
    resolver = resolver_for({"partner.example.jp": ["93.184.215.14"], "::1": ["::1"]})
    assert _host_header(resolve_target("https://partner.example.jp/h", False, resolver)) == "partner.example.jp"
    assert _host_header(resolve_target("https://partner.example.jp:8443/h", False, resolver)) == \
        "partner.example.jp:8443"
    assert _host_header(resolve_target("http://[::1]:8080/h", True, resolver)) == "[::1]:8080"
