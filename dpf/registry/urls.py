from django.urls import path

from dpf.registry import views
from dpf.registry.change_urls import urlpatterns as change_urlpatterns
from dpf.registry.person_fact_urls import urlpatterns as person_fact_urlpatterns
from dpf.registry.survey_urls import urlpatterns as survey_urlpatterns

app_name = "registry"

urlpatterns = [
    path("", views.search, name="search"),
    path("lookup/", views.search_lookup, name="search_lookup"),
    path("person/new/", views.person_new, name="person_new"),
    path("person/<int:person_id>/", views.person, name="person"),
    path("person/<int:person_id>/reveal/", views.reveal_person, name="reveal_person"),
    path("person/<int:person_id>/certificate/new/", views.certificate_new, name="certificate_new"),
    path("household/new/", views.household_new, name="household_new"),
    path("household/<int:household_id>/", views.household, name="household"),
    path("transfers/", views.transfers, name="transfers"),
    *survey_urlpatterns,
    *person_fact_urlpatterns,
    *change_urlpatterns,
]
