"""Staff pages of the registry (placeholder until the pages land)."""

from django.http import HttpRequest, HttpResponse

from dpf.core.access import allow
from dpf.core.roles import REGION_STAFF


@allow(*REGION_STAFF)
def search(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
