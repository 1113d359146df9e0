from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "sms.portal"
    label = "portal"
    verbose_name = "Cổng thông tin công khai"
