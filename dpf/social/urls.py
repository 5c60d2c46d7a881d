from django.urls import path

from dpf.social import views

app_name = "social"

urlpatterns = [
    path("emergency/", views.emergency_list, name="emergency"),
    path("risk/", views.risk_cases, name="risk_cases"),
    path("risk/<int:case_id>/", views.risk_case, name="risk_case"),
]
