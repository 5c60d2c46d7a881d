from django.urls import path

from dpf.social import legal_aid_views, risk_rule_views, views

app_name = "social"

urlpatterns = [
    path("emergency/", views.emergency_list, name="emergency"),
    path("risk/", views.risk_cases, name="risk_cases"),
    path("risk/<int:case_id>/", views.risk_case, name="risk_case"),
    path("risk/rules/", risk_rule_views.risk_rules, name="risk_rules"),
    path("volunteers/", views.volunteer_list, name="volunteers"),
    path("events/", views.event_list, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("my-events/", views.my_events, name="my_events"),
    path("organisations/", views.organisation_list, name="organisations"),
    path(
        "organisations/<int:organisation_id>/",
        views.organisation_detail,
        name="organisation",
    ),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/<int:facility_id>/", views.facility_detail, name="facility"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity"),
    path("legal-aid/", legal_aid_views.referral_list, name="legal_aid"),
    path(
        "legal-aid/<int:referral_id>/",
        legal_aid_views.referral_detail,
        name="legal_aid_referral",
    ),
]
