"""Public pages of the portal: verifying an electronic certificate's QR code."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dpf.core.access import public
from dpf.portal import ecert

MAX_PAYLOAD = 400


@public
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone may verify a code: scanned (``?p=``) or pasted into the form."""
    payload = (request.POST.get("payload") or request.GET.get("p") or "").strip()[:MAX_PAYLOAD]
    result = ecert.verify(payload) if payload else None
    response = render(request, "portal/verify.html", {"result": result, "payload": payload})
    response.headers["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the
    # form's POST and Django's CSRF check refuses every pasted code (found by tests/e2e).
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@public
def verify_keys(request: HttpRequest) -> JsonResponse:
    """The published Ed25519 public keys, for anyone who wants to verify offline."""
    keys = [
        {
            "kid": k.kid,
            "alg": "Ed25519",
            "public_key_hex": k.public_key,
            "current": k.current,
            "verify_until": k.verify_until.isoformat() if k.verify_until else None,
        }
        for k in ecert.published_keys()
    ]
    return JsonResponse({"format": "DPF1", "keys": keys})
