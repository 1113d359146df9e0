from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "sms.org"
    label = "org"
    verbose_name = "Đơn vị và cơ cấu nhà trường"

    def ready(self) -> None:
        from sms import seeding

        from . import jobs, seed  # noqa: F401  (jobs registers the org background jobs)

        seeding.register("org", seed.seed_org, order=10)
