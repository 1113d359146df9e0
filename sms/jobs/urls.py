from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobList.as_view(), name="job-list"),
    path("tao/", views.JobCreate.as_view(), name="job-create"),
    path("<int:pk>/", views.JobDetail.as_view(), name="job-detail"),
    path("<int:pk>/trang-thai/", views.JobStatus.as_view(), name="job-status"),
]
