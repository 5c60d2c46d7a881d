"""The volunteer's home page (助残志愿者).

The volunteer service log (registering, joining events, logging hours) is not built yet;
a volunteer's account lands here and is told so plainly, with what they can do meanwhile,
instead of on a page that says only "you are logged in".
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dpf.accounts.permissions import permission_required


@permission_required("view", "volunteer_record", scope="self")
def volunteer_home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/volunteer.html")
