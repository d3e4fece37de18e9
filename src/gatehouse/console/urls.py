from django.urls import path

from gatehouse.console import views

app_name = "console"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.LoginVerifyView.as_view(), name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.ProfileView.as_view(), name="profile"),
    path("system/", views.SystemSettingsView.as_view(), name="system_settings"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("lists/columns/", views.TableColumnsView.as_view(), name="table_columns"),
]
