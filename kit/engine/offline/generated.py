"""Resources that only generate values: random passwords, TLS keys and self-signed certificates.

Their secret outputs are returned wrapped, so the program sees them as secrets as it would
under the real engine.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import string
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from kit.engine.offline.values import Inputs, wrap_rpc_secret

_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
_CURVES: dict[str, ec.EllipticCurve] = {
    "P256": ec.SECP256R1(),
    "P384": ec.SECP384R1(),
    "P521": ec.SECP521R1(),
}
_SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
}


def random_password(inputs: Inputs) -> tuple[str, dict[str, Any]]:
    length = int(inputs.require("length"))
    classes = [
        (chars, int(inputs.get(minimum, 0)))
        for flag, chars, minimum in (
            ("upper", string.ascii_uppercase, "minUpper"),
            ("lower", string.ascii_lowercase, "minLower"),
            ("numeric", string.digits, "minNumeric"),
            ("special", inputs.get("overrideSpecial", _SPECIAL), "minSpecial"),
        )
        if inputs.get(flag, True)
    ]
    inputs.ignore("keepers", "number")
    inputs.done()
    alphabet = "".join(chars for chars, _ in classes)
    if not alphabet:
        raise ValueError("RandomPassword: every character class is disabled")
    chosen = [secrets.choice(chars) for chars, minimum in classes for _ in range(minimum)]
    chosen += [secrets.choice(alphabet) for _ in range(max(0, length - len(chosen)))]
    secrets.SystemRandom().shuffle(chosen)
    return "none", {"result": wrap_rpc_secret("".join(chosen))}


def private_key(inputs: Inputs) -> tuple[str, dict[str, Any]]:
    algorithm = inputs.get("algorithm", "RSA")
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "RSA":
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits", 2048)))
    elif algorithm == "ECDSA":
        curve = inputs.get("ecdsaCurve", "P224")
        if curve not in _CURVES:
            raise ValueError(
                f"PrivateKey: ecdsaCurve '{curve}' not supported offline (allowed: {sorted(_CURVES)})"
            )
        key = ec.generate_private_key(_CURVES[curve])
    else:
        raise ValueError(f"PrivateKey: algorithm '{algorithm}' not supported offline (allowed: RSA, ECDSA)")
    inputs.done()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return str(uuid.uuid4()), {
        "privateKeyPem": wrap_rpc_secret(pem),
        "privateKeyPemPkcs8": wrap_rpc_secret(pkcs8),
        "publicKeyPem": public_pem,
        "algorithm": algorithm,
    }


def self_signed_cert(inputs: Inputs) -> tuple[str, dict[str, Any]]:
    key = serialization.load_pem_private_key(str(inputs.require("privateKeyPem")).encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("SelfSignedCert: only RSA and ECDSA keys are supported offline")
    subject_block = inputs.block("subject") or Inputs({}, "SelfSignedCert.subject")
    subject = x509.Name(
        [
            x509.NameAttribute(oid, str(subject_block.get(name)))
            for name, oid in _SUBJECT_FIELDS.items()
            if subject_block.get(name)
        ]
    )
    subject_block.done()
    now = dt.datetime.now(dt.UTC)
    hours = int(inputs.require("validityPeriodHours"))
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in inputs.get("dnsNames", [])]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ipAddresses", [])]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(hours=hours))
        .add_extension(
            x509.BasicConstraints(ca=bool(inputs.get("isCaCertificate", False)), path_length=None),
            critical=True,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    # allowedUses become key-usage bits under the real provider; clients here only check names.
    inputs.ignore("allowedUses", "earlyRenewalHours", "setSubjectKeyId", "setAuthorityKeyId")
    inputs.done()
    cert = builder.sign(key, hashes.SHA256())
    return str(cert.serial_number), {
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": now.isoformat(),
        "validityEndTime": (now + dt.timedelta(hours=hours)).isoformat(),
        "readyForRenewal": False,
        "keyAlgorithm": "RSA" if isinstance(key, rsa.RSAPrivateKey) else "ECDSA",
    }
