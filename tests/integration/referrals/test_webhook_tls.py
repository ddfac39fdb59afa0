"""HTTPS delivery to a real TLS server: the connection goes to the checked address while TLS is verified for
the registered host name (SNI + certificate), so pinning the address does not weaken certificate checks."""
from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.referrals.webhook_dispatch import post_webhook
from services.referrals.webhook_signing import verify_signature

pytestmark = pytest.mark.integration


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_cert(tmp_path, dns_name: str):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("test CA")).issuer_name(_name("test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(dns_name)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path):
    ca_file, cert_file, key_file = make_ca_and_cert(tmp_path, "partner.example.jp")
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append({"host": self.headers["Host"], "headers": dict(self.headers),
                             "body": self.rfile.read(int(self.headers["Content-Length"]))})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], str(ca_file), received
    server.shutdown()
    server.server_close()


def resolver(table):
    return lambda host, port: table[host]


def test_https_goes_to_the_checked_address_and_verifies_the_registered_name(tls_receiver):
    port, ca_file, received = tls_receiver
    result = post_webhook(f"https://partner.example.jp:{port}/hooks", '{"id":"d"}', delivery_id="d",
                          event_type="referral.accepted", secrets=["whsec_tls"], timeout=2, allow_loopback=True,
                          resolver=resolver({"partner.example.jp": ["127.0.0.1"]}), ca_bundle=ca_file)
    assert (result.outcome, result.status_code) == ("succeeded", 204)
    [got] = received
    assert got["host"] == f"partner.example.jp:{port}"
    assert verify_signature("whsec_tls", got["headers"]["Tsunagu-Signature"], got["body"])


def test_a_certificate_for_another_name_is_refused(tls_receiver):
    port, ca_file, received = tls_receiver
    result = post_webhook(f"https://impostor.example.jp:{port}/hooks", "{}", delivery_id="d",
                          event_type="referral.accepted", secrets=["whsec_tls"], timeout=2, allow_loopback=True,
                          resolver=resolver({"impostor.example.jp": ["127.0.0.1"]}), ca_bundle=ca_file)
    assert result.outcome == "connection_error" and result.status_code is None
    assert "SSL" in result.error_class
    assert received == []


def test_an_untrusted_certificate_is_refused(tls_receiver):
    port, _ca_file, received = tls_receiver
    result = post_webhook(f"https://partner.example.jp:{port}/hooks", "{}", delivery_id="d",
                          event_type="referral.accepted", secrets=["whsec_tls"], timeout=2, allow_loopback=True,
                          resolver=resolver({"partner.example.jp": ["127.0.0.1"]}))  # system trust store only
    assert result.outcome == "connection_error" and "SSL" in result.error_class
    assert received == []
