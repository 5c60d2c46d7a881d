from django.urls import path

from dpf.jobs import health, views

app_name = "jobs"

urlpatterns = [
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/schedules/", views.schedules, name="schedules"),
    path("jobs/schedules/<str:kind>/", views.schedule_edit, name="schedule_edit"),
    path("jobs/schedules/<str:kind>/run/", views.schedule_run, name="schedule_run"),
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
]
