from django.urls import path

from . import views

app_name = "files"

urlpatterns = [
    path("<int:pk>/tai-ve/", views.StoredFileDownload.as_view(), name="download"),
]
