"""Rebuild the portal's precomputed store from the modules' tables, or check it against them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sms.portal import store


class Command(BaseCommand):
    help = "Rebuild (or with --check, compare) the public lookups' precomputed store, per kind."

    def add_arguments(self, parser):
        parser.add_argument("kinds", nargs="*", help="the kinds to rebuild (default: every kind)")
        parser.add_argument("--check", action="store_true", help="only report differences; exit 1 if any")

    def handle(self, *args, kinds, check, **options):
        known = store.builders()
        unknown = sorted(set(kinds) - known.keys())
        if unknown:
            raise CommandError(f"Unknown kinds: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        dirty = False
        for kind in kinds or sorted(known):
            if check:
                diff = store.differences(kind)
                dirty |= any(diff.values())
                self.stdout.write(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in diff.items()))
            else:
                self.stdout.write(f"{kind}: {store.rebuild(kind)} items")
        if dirty:
            raise CommandError("The store differs from the tables; run portal_rebuild without --check.")
