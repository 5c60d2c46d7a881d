from django.urls import path

from dpf.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("display/", views.display_preferences, name="display"),
]
