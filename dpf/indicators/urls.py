from django.urls import path

from dpf.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("manual/", views.manual_entry, name="manual"),
    path("snapshot/", views.snapshot_now, name="snapshot"),
    path("report/", views.report, name="report"),
    path("<str:code>/", views.indicator_detail, name="indicator"),
    path("<str:code>/persons/", views.drilldown, name="drilldown"),
]
