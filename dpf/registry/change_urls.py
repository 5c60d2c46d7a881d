"""Routes of the pages keeping a person's record current (issue 17 part 1)."""

from django.urls import path

from dpf.registry import change_views

urlpatterns = [
    path("person/<int:person_id>/edit/", change_views.person_edit, name="person_edit"),
    path("person/<int:person_id>/guardian/", change_views.person_guardian, name="person_guardian"),
    path("person/<int:person_id>/move/", change_views.person_move, name="person_move"),
    path("person/<int:person_id>/history/", change_views.person_history, name="person_history"),
    path(
        "person/<int:person_id>/household/",
        change_views.person_household,
        name="person_household",
    ),
    path(
        "household/<int:household_id>/status/",
        change_views.household_status,
        name="household_status",
    ),
    path(
        "certificate/<int:certificate_id>/renew/",
        change_views.certificate_renew,
        name="certificate_renew",
    ),
    path(
        "certificate/<int:certificate_id>/reassess/",
        change_views.certificate_reassess,
        name="certificate_reassess",
    ),
    path(
        "certificate/<int:certificate_id>/cancel/",
        change_views.certificate_cancel,
        name="certificate_cancel",
    ),
]
