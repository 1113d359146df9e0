from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sms.accounts"
    label = "accounts"
    verbose_name = "Tài khoản và phân quyền"

    def ready(self) -> None:
        from sms import seeding

        from . import permissions, seed  # noqa: F401  (registers rules and the demo seeder)

        seeding.register("accounts", seed.seed_accounts, order=20)
