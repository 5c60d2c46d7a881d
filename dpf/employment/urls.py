from django.urls import path

from dpf.employment import graduate_views, record_views, training_views, views

app_name = "employment"

urlpatterns = [
    path("declaration/", views.declaration, name="declaration"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:declaration_id>/", views.review, name="review"),
    path("levy/", views.levy_report, name="levy_report"),
    path("employers/", views.employers, name="employers"),
    path("employers/<int:employer_id>/credit/", views.credit_flag, name="credit_flag"),
    path("credit/", views.credit, name="credit"),
    path("credit/export/", views.credit_export, name="credit_export"),
    path("credit/<int:flag_id>/lift/", views.credit_lift, name="credit_lift"),
    path("training/", training_views.courses, name="training"),
    path("training/report/", training_views.training_report, name="training_report"),
    path("training/<int:course_id>/", training_views.course, name="training_course"),
    path("training/bases/", training_views.training_bases, name="training_bases"),
    path("training/bases/new/", training_views.training_base_new, name="training_base_new"),
    path("training/bases/<int:base_id>/", training_views.training_base, name="training_base"),
    path(
        "training/bases/<int:base_id>/edit/",
        training_views.training_base_edit,
        name="training_base_edit",
    ),
    path("records/", record_views.employment_records, name="records"),
    path("zero-employment/", record_views.zero_employment, name="zero_employment"),
    path("assisted/", record_views.assisted, name="assisted"),
    path("graduates/", graduate_views.graduate_list, name="graduates"),
    path("graduates/new/", graduate_views.graduate_new, name="graduate_new"),
    path("graduates/<int:file_id>/", graduate_views.graduate, name="graduate"),
    path("graduates/<int:file_id>/edit/", graduate_views.graduate_edit, name="graduate_edit"),
]
