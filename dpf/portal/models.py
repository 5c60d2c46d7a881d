"""Signing keys of the electronic certificate's QR codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.fields import EncryptedTextField


class SigningKey(models.Model):
    """An Ed25519 key pair. The private key is encrypted at rest; the public key is published.

    One key is current. A retired key no longer signs but keeps verifying the codes it
    signed until ``verify_until`` (the longest lifetime of a code), then it is dropped.
    """

    kid = models.PositiveSmallIntegerField(_("密钥编号"), unique=True)
    public_key = models.CharField(max_length=64)  # raw 32 bytes, hex
    private_key = EncryptedTextField()  # raw 32 bytes, hex, encrypted
    created_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)
    verify_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kid"]
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=models.Q(current=True), name="one_current_signing_key"
            )
        ]

    def __str__(self) -> str:
        return f"key {self.kid}"
