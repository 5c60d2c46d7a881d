"""Routes of the needs survey pages (included by ``dpf.registry.urls``)."""

from django.urls import path

from dpf.registry import survey_views

urlpatterns = [
    path("survey/", survey_views.survey, name="survey"),
    path("survey/round/", survey_views.survey_round_new, name="survey_round_new"),
    path(
        "survey/person/<int:person_id>/<int:year>/",
        survey_views.survey_person,
        name="survey_person",
    ),
    path(
        "survey/person/<int:person_id>/<int:year>/no-contact/",
        survey_views.survey_no_contact,
        name="survey_no_contact",
    ),
]
