from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The UI shell: layout, navigation to the modules filtered by role, dashboards."""

    name = "sms.shell"
    label = "shell"
    verbose_name = "Giao diện chung"
