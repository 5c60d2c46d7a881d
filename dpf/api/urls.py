"""The API: one NinjaAPI; each domain adds its router on its own line below."""

from __future__ import annotations

from ninja import NinjaAPI

from dpf.api import errors
from dpf.api.access import declare_routes
from dpf.core.access import public

api = NinjaAPI(
    title="赤峰市助残服务一体化平台 API / Chifeng DPF platform API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=public,
)
errors.install(api)

api.add_router("/exchange/", "dpf.api.exchange.router")

urlpatterns = declare_routes(api.urls[0])
app_name = "api"
