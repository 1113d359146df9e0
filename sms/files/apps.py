from django.apps import AppConfig


class FilesConfig(AppConfig):
    """Uploaded files, stored per unit and served only through views that apply the door."""

    name = "sms.files"
    label = "files"
    verbose_name = "Tệp tải lên"
