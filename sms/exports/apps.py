from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "sms.exports"
    label = "exports"
    verbose_name = "Xuất dữ liệu (xlsx, PDF)"
