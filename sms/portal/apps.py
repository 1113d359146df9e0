from django.apps import AppConfig
from django.core import checks


class PortalConfig(AppConfig):
    name = "sms.portal"
    label = "portal"
    verbose_name = "Cổng thông tin công khai"

    def ready(self) -> None:
        checks.register(check_public_url, checks.Tags.security, deploy=True)

        from sms.seeding import register

        # last: the demo's store equals what the seeded tables publish, however a seeder wrote them
        register("portal-store", _rebuild_store, order=990)


def _rebuild_store(ctx) -> None:
    from . import store

    for kind in store.builders():
        store.rebuild(kind)


def check_public_url(app_configs=None, **kwargs):
    """The QR codes printed on documents need this server's public address."""
    from urllib.parse import urlsplit

    from django.conf import settings

    url = urlsplit((getattr(settings, "PORTAL_PUBLIC_URL", "") or "").strip())
    if url.scheme.lower() != "https" or not url.hostname:
        return [
            checks.Warning(
                "PORTAL_PUBLIC_URL is not an https:// address: the QR codes printed on record books and "
                "diplomas would not open the check page for the public.",
                hint="Set PORTAL_PUBLIC_URL to the address the public reaches, e.g. https://tracuu.sogd.example.vn.",
                id="portal.W001",
            )
        ]
    return []
