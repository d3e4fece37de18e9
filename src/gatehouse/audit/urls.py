from django.urls import path

from gatehouse.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.LogEntryListView.as_view(), name="log_list"),
    path("export/", views.LogEntryExportView.as_view(), name="log_export"),
    path("<int:pk>/", views.LogEntryDetailView.as_view(), name="log_detail"),
]
