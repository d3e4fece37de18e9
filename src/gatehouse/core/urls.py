from django.urls import path

from gatehouse.core.jobs import views

app_name = "core"

urlpatterns = [
    path("", views.JobListView.as_view(), name="job_list"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="job_detail"),
    path("<int:pk>/result/", views.JobResultView.as_view(), name="job_result"),
    path("<int:pk>/cancel/", views.JobCancelView.as_view(), name="job_cancel"),
]
