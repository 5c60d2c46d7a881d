from django.urls import path

from dpf.portal import citizen_views, guardian_views, staff_views, views, volunteer_views

app_name = "portal"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/keys.json", views.verify_keys, name="verify_keys"),
    path("portal/register/", views.register, name="register"),
    path("portal/register/confirm/", views.register_confirm, name="register_confirm"),
    path("portal/password/", views.password_reset, name="password_reset"),
    path("portal/password/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
    path("portal/", citizen_views.home, name="home"),
    path("portal/acting-for/", citizen_views.acting_for, name="acting_for"),
    path("portal/certificate/", citizen_views.certificate, name="certificate"),
    path("portal/entitlements/", citizen_views.entitlements, name="entitlements"),
    path("portal/apply/", citizen_views.apply, name="apply"),
    path("portal/applications/", citizen_views.applications, name="applications"),
    path(
        "portal/applications/<int:application_id>/",
        citizen_views.application,
        name="application",
    ),
    path(
        "portal/applications/<int:application_id>/upload/",
        citizen_views.upload,
        name="upload",
    ),
    path(
        "portal/applications/<int:application_id>/withdraw/",
        citizen_views.withdraw,
        name="withdraw",
    ),
    path(
        "portal/applications/<int:application_id>/items/<int:item_id>/appeal/",
        citizen_views.appeal,
        name="appeal",
    ),
    path("portal/requests/", citizen_views.requests, name="requests"),
    path("portal/dependants/", guardian_views.dependants, name="dependants"),
    path("portal/volunteer/", volunteer_views.volunteer, name="volunteer"),
    path(
        "portal/volunteer/withdraw/",
        volunteer_views.volunteer_withdraw,
        name="volunteer_withdraw",
    ),
    path("portal/staff/guardians/", guardian_views.claim_queue, name="staff_guardians"),
    path(
        "portal/staff/guardians/<int:claim_id>/",
        guardian_views.claim_detail,
        name="staff_guardian",
    ),
    path(
        "portal/staff/guardians/<int:claim_id>/proof/",
        guardian_views.claim_proof,
        name="staff_guardian_proof",
    ),
    path("portal/requests/<int:request_id>/", citizen_views.request_detail, name="request"),
    path("portal/staff/requests/", staff_views.request_queue, name="staff_requests"),
    path("portal/staff/requests/new/", staff_views.request_intake, name="staff_request_new"),
    path(
        "portal/staff/requests/<int:request_id>/",
        staff_views.request_handle,
        name="staff_request",
    ),
    path(
        "portal/staff/requests/<int:request_id>/assign/",
        staff_views.request_assign,
        name="staff_request_assign",
    ),
    path(
        "portal/staff/persons/<int:person_id>/account/",
        staff_views.account_new,
        name="account_new",
    ),
]
