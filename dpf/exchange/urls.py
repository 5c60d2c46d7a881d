from django.urls import path

from dpf.exchange import department_views, views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("department/", department_views.department_home, name="department"),
    path("templates/<slug:code>.xlsx", views.template_download, name="template"),
    path("upload/", views.upload, name="upload"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/progress/", views.batch_progress, name="progress"),
    path("batches/<int:batch_id>/validate/", views.batch_revalidate, name="revalidate"),
    path("batches/<int:batch_id>/commit/", views.batch_commit, name="commit"),
    path("batches/<int:batch_id>/cancel/", views.batch_cancel, name="cancel"),
    path("batches/<int:batch_id>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("batches/<int:batch_id>/lists/<slug:outcome>.xlsx", views.download_list, name="list"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/find/", views.duplicates_find, name="duplicates_find"),
    path("duplicates/<int:suspect_id>/resolve/", views.suspect_resolve, name="resolve"),
    path("export/", views.export, name="export"),
]
