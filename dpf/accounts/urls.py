from django.urls import path

from dpf.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("otp/setup/", views.otp_enrol, name="otp_enrol"),
    path("security/", views.security_policy, name="security_policy"),
]
