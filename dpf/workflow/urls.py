from django.urls import path

from dpf.workflow import application_views, death_views, payee_views, payment_views, views

app_name = "workflow"

urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("overdue/", views.overdue, name="overdue"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:item_id>/start/", views.proposal_start, name="proposal_start"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:item_id>/", views.review, name="review"),
    path("bulk/", views.bulk, name="bulk"),
    path("applications/new/", application_views.application_new, name="application_new"),
    path("applications/<int:pk>/", application_views.application_detail, name="application"),
    path("applications/<int:pk>/notice/", application_views.notice, name="notice"),
    path("applications/<int:pk>/upload/", application_views.upload, name="upload"),
    path("applications/<int:pk>/withdraw/", application_views.withdraw, name="withdraw"),
    path(
        "applications/<int:pk>/confirm/",
        application_views.proposal_confirm,
        name="proposal_confirm",
    ),
    path(
        "applications/<int:pk>/decline/",
        application_views.proposal_decline,
        name="proposal_decline",
    ),
    path("items/<int:pk>/decide/", application_views.decide, name="decide"),
    path("items/<int:pk>/appeal/", application_views.appeal, name="appeal"),
    path("documents/<int:pk>/", application_views.document, name="document"),
    path("entitlements/<int:pk>/", views.entitlement, name="entitlement"),
    path("person/<int:person_id>/death/", death_views.person_death, name="person_death"),
    path("payee-accounts/", payee_views.payee_accounts, name="payee_accounts"),
    path("payee-accounts/<int:account_id>/", payee_views.payee_account, name="payee_account"),
    path("payments/", payment_views.payment_lists, name="payment_lists"),
    path("payments/<int:pk>/", payment_views.payment_list, name="payment_list"),
    path("payments/<int:pk>/approve/", payment_views.payment_list_approve, name="payment_approve"),
    path("payments/<int:pk>/discard/", payment_views.payment_list_discard, name="payment_discard"),
    path("payments/<int:pk>/bank.xlsx", payment_views.payment_list_xlsx, name="payment_xlsx"),
    path("payments/<int:pk>/signing.pdf", payment_views.payment_list_pdf, name="payment_pdf"),
    path(
        "payments/<int:pk>/files/<int:job_id>/",
        payment_views.payment_list_file,
        name="payment_file",
    ),
    path("payments/<int:pk>/results/", payment_views.payment_results, name="payment_results"),
]
