from django.urls import path

from dpf.social import views

app_name = "social"

urlpatterns = [
    path("emergency/", views.emergency_list, name="emergency"),
]
