"""The electronic certificate's QR payload: compact, signed with Ed25519, no ID number.

Layout (version 1, big-endian), then a 64-byte signature over everything before it,
all encoded as unpadded base64url and prefixed ``DPF1.``::

    version u8 | key id u16 | certificate id u48 | category<<4 | level u8 |
    issuing county u24 | certificate valid-to u16 (days since 2000-01-01) |
    code issued u32 (minutes since 2020-01-01 UTC) | code expires u16 (days since 2000-01-01)

Verification checks the signature with the published public key, then the registry: a
cancelled or replaced certificate, or one whose category or level changed (re-graded),
no longer verifies; an expired certificate or code says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dpf.core.certnumber import CATEGORY_SHORT_EN, CATEGORY_SHORT_ZH
from dpf.core.crypto import mask_name
from dpf.core.models import Region
from dpf.portal.models import SigningKey
from dpf.registry.models import Certificate, CertificateStatus

PREFIX = "DPF1."
VERSION = 1
_BODY = struct.Struct(">BH6sB3sHIH")
SIGNATURE_LEN = 64
EPOCH_DAYS = dt.date(2000, 1, 1)
EPOCH_MINUTES = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def code_lifetime_days() -> int:
    """How long one QR code stays valid (a new one is made each time the page is opened)."""
    return int(getattr(settings, "DPF_QR_CODE_DAYS", 30))


@dataclass(frozen=True)
class Payload:
    kid: int
    certificate_id: int
    category: int
    level: int
    issuing_county: str
    valid_to: dt.date
    issued_at: dt.datetime
    expires: dt.date


@dataclass(frozen=True)
class Verification:
    status: str  # valid | expired | revoked | invalid
    reason: str  # a code: ok, malformed, unknown_key, signature, code_expired, ...
    message_zh: str
    message_en: str
    masked_name: str = ""
    category: int = 0
    level: int = 0
    valid_to: dt.date | None = None
    issuing_county: str = ""

    @property
    def category_name(self) -> str:
        return CATEGORY_SHORT_ZH.get(self.category, "")

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "message": self.message_zh,
            "message_en": self.message_en,
            "name": self.masked_name,
            "category": self.category,
            "category_name": CATEGORY_SHORT_ZH.get(self.category, ""),
            "category_name_en": CATEGORY_SHORT_EN.get(self.category, ""),
            "level": self.level,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "issuing_county": self.issuing_county,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


@transaction.atomic
def create_key() -> SigningKey:
    """Make a new key pair current; the previous current key is retired (still verifies)."""
    now = timezone.now()
    previous = SigningKey.objects.select_for_update().filter(current=True).first()
    if previous is not None:
        previous.current = False
        previous.retired_at = now
        previous.verify_until = now + dt.timedelta(days=code_lifetime_days() + 1)
        previous.save(update_fields=["current", "retired_at", "verify_until"])
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes_raw()
    raw_public = private.public_key().public_bytes_raw()
    next_kid = (SigningKey.objects.aggregate(m=Max("kid"))["m"] or 0) + 1
    return SigningKey.objects.create(
        kid=next_kid,
        public_key=raw_public.hex(),
        private_key=raw_private.hex(),
        current=True,
    )


def current_key() -> SigningKey:
    key = SigningKey.objects.filter(current=True).first()
    return key or create_key()


def published_keys(now: dt.datetime | None = None) -> list[SigningKey]:
    """Keys that verify codes now: the current one and retired ones not yet past use."""
    now = now or timezone.now()
    keys = SigningKey.objects.order_by("kid")
    return [k for k in keys if k.current or (k.verify_until and k.verify_until > now)]


def sign(certificate: Certificate, *, now: dt.datetime | None = None) -> str:
    """The QR payload for ``certificate``, signed with the current key."""
    now = now or timezone.now()
    key = current_key()
    expires = min(
        certificate.valid_to or certificate.expires_on,
        now.date() + dt.timedelta(days=code_lifetime_days()),
    )
    body = _BODY.pack(
        VERSION,
        key.kid,
        certificate.pk.to_bytes(6, "big"),
        (certificate.category << 4) | certificate.level,
        int(certificate.issuing_county).to_bytes(3, "big"),
        ((certificate.valid_to or certificate.expires_on) - EPOCH_DAYS).days,
        int((now - EPOCH_MINUTES).total_seconds() // 60),
        (expires - EPOCH_DAYS).days,
    )
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key.private_key))
    return PREFIX + _b64(body + private.sign(body))


def _invalid(reason: str, zh: str, en: str) -> Verification:
    return Verification("invalid", reason, zh, en)


def parse(payload: str) -> tuple[Payload, bytes, bytes] | Verification:
    text = (payload or "").strip()
    if "p=" in text:  # a whole verification URL was pasted
        text = text.split("p=", 1)[1].split("&", 1)[0]
    if not text.startswith(PREFIX):
        return _invalid("malformed", "不是电子残疾人证二维码", "not an electronic certificate code")
    encoded = text[len(PREFIX) :]
    if not encoded or not re.fullmatch(r"[A-Za-z0-9_-]+", encoded):
        return _invalid("malformed", "二维码内容已损坏", "the code is damaged")
    try:
        raw = _unb64(encoded)
    except (ValueError, UnicodeEncodeError):
        return _invalid("malformed", "二维码内容已损坏", "the code is damaged")
    if len(raw) != _BODY.size + SIGNATURE_LEN:
        return _invalid("truncated", "二维码内容不完整", "the code is incomplete")
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    version, kid, cert_id, cat_level, county, valid_to, issued, expires = _BODY.unpack(body)
    if version != VERSION:
        return _invalid("version", "不支持的二维码版本", "unsupported code version")
    try:
        parsed = Payload(
            kid=kid,
            certificate_id=int.from_bytes(cert_id, "big"),
            category=cat_level >> 4,
            level=cat_level & 0x0F,
            issuing_county=str(int.from_bytes(county, "big")),
            valid_to=EPOCH_DAYS + dt.timedelta(days=valid_to),
            issued_at=EPOCH_MINUTES + dt.timedelta(minutes=issued),
            expires=EPOCH_DAYS + dt.timedelta(days=expires),
        )
    except (OverflowError, ValueError):
        return _invalid("malformed", "二维码内容已损坏", "the code is damaged")
    return parsed, body, signature


def verify(payload: str, *, today: dt.date | None = None) -> Verification:
    """Check a scanned payload: signature, then the certificate's current state."""
    today = today or timezone.localdate()
    parsed = parse(payload)
    if isinstance(parsed, Verification):
        return parsed
    data, body, signature = parsed
    key = next((k for k in published_keys() if k.kid == data.kid), None)
    if key is None:
        return _invalid(
            "unknown_key", "签名密钥未知或已停用", "signed with an unknown or retired key"
        )
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_key)).verify(signature, body)
    except InvalidSignature:
        return _invalid(
            "signature", "签名无效，二维码可能被篡改", "the signature is invalid (altered code)"
        )
    certificate = (
        Certificate.objects.select_related("person").filter(pk=data.certificate_id).first()
    )
    county = Region.objects.filter(code=data.issuing_county).values_list("name", flat=True).first()
    details = {
        "category": data.category,
        "level": data.level,
        "valid_to": data.valid_to,
        "issuing_county": county or data.issuing_county,
        "masked_name": mask_name(certificate.person.name) if certificate else "",
    }
    if (
        certificate is None
        or certificate.status in (CertificateStatus.CANCELLED, CertificateStatus.REPLACED)
        or certificate.category != data.category
        or certificate.level != data.level
        or (certificate.valid_to is not None and certificate.valid_to < data.valid_to)
    ):
        return Verification(
            "revoked",
            "revoked",
            "该证已注销或已换发，二维码失效",
            "the certificate was cancelled or replaced",
            **details,  # type: ignore[arg-type]
        )
    if certificate.person.death_date is not None:
        return Verification(
            "revoked",
            "holder_deceased",
            "该证已注销",
            "the certificate is no longer valid",
            **details,  # type: ignore[arg-type]
        )
    if data.valid_to < today or certificate.status == CertificateStatus.EXPIRED:
        return Verification(
            "expired",
            "certificate_expired",
            "该证已过有效期",
            "the certificate has expired",
            **details,  # type: ignore[arg-type]
        )
    if data.expires < today:
        return Verification(
            "expired",
            "code_expired",
            "二维码已过期，请持证人重新出示",
            "the code has expired; ask for a new one",
            **details,  # type: ignore[arg-type]
        )
    return Verification(
        "valid",
        "ok",
        "有效的残疾人证",
        "a valid disability certificate",
        **details,  # type: ignore[arg-type]
    )
