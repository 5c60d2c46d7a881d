"""Routes of the pages recording a person's outside payments and 特困 status."""

from django.urls import path

from dpf.registry import person_fact_views

urlpatterns = [
    path(
        "person/<int:person_id>/outside-payment/new/",
        person_fact_views.outside_payment_new,
        name="outside_payment_new",
    ),
    path(
        "person/<int:person_id>/status/new/",
        person_fact_views.person_status_new,
        name="person_status_new",
    ),
]
