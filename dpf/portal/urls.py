from django.urls import path

from dpf.portal import views

app_name = "portal"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/keys.json", views.verify_keys, name="verify_keys"),
]
