from django.urls import path

from dpf.accounts import account_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("otp/setup/", views.otp_enrol, name="otp_enrol"),
    path("security/", views.security_policy, name="security_policy"),
    path("password/", account_views.password_change, name="password_change"),
    path("staff/", account_views.account_list, name="staff_accounts"),
    path("staff/new/", account_views.account_new, name="staff_account_new"),
    path("staff/<int:user_id>/", account_views.account_detail, name="staff_account"),
    path("staff/<int:user_id>/active/", account_views.account_active, name="staff_account_active"),
    path(
        "staff/<int:user_id>/password/",
        account_views.account_password_reset,
        name="staff_account_password",
    ),
    path("staff/<int:user_id>/otp/", account_views.account_otp_reset, name="staff_account_otp"),
]
