from django.urls import path

from dpf.indicators import plan_views, views

app_name = "indicators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("manual/", views.manual_entry, name="manual"),
    path("snapshot/", views.snapshot_now, name="snapshot"),
    path("report/", views.report, name="report"),
    path("report/files/", views.report_file_start, name="report_file_start"),
    path("report/files/<int:job_id>/", views.report_file, name="report_file"),
    # Before "<str:code>/": a plan page is not an indicator.
    path("plans/", plan_views.plans, name="plans"),
    path("plans/template.json", plan_views.plan_template, name="plan_template"),
    path("plans/upload/", plan_views.plan_upload, name="plan_upload"),
    path("plans/upload/confirm/", plan_views.plan_upload_confirm, name="plan_upload_confirm"),
    path("<str:code>/", views.indicator_detail, name="indicator"),
    path("<str:code>/persons/", views.drilldown, name="drilldown"),
]
