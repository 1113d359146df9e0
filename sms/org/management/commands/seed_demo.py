from django.core.management.base import BaseCommand
from django.db import transaction

from sms import seeding
from sms.accounts.seed import demo_logins
from sms.org.models import Unit


class Command(BaseCommand):
    help = "Builds the demo province (1 Sở, 2 Phòng, schools of every common type, accounts for every role)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schools", type=int, default=9, help="number of schools and centres (≥ 9 gives every type)"
        )
        parser.add_argument(
            "--students", type=int, default=1200, help="number of pupils, for the modules that seed them"
        )
        parser.add_argument("--classes-per-grade", type=int, default=2)
        parser.add_argument("--password", default="Demo@2026", help="password of every demo account")
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed (the same seed gives the same province)"
        )
        parser.add_argument("--if-empty", action="store_true", help="do nothing (but print the logins) if units exist")
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="SEEDER",
            help="leave out a seeder (repeatable), e.g. students-grades",
        )

    def handle(self, *args, **options):
        if Unit.objects.exists():
            if not options["if_empty"]:
                self.stderr.write("The database already has units; run on an empty database or pass --if-empty.")
                raise SystemExit(1)
            self.stdout.write("Demo data already loaded.")
        else:
            ctx = seeding.SeedContext(
                schools=options["schools"],
                students=options["students"],
                classes_per_grade=options["classes_per_grade"],
                password=options["password"],
                seed=options["seed"],
            )
            with transaction.atomic():
                try:
                    seeding.run_all(ctx, log=self.stdout.write, skip=options["skip"])
                except ValueError as error:
                    self.stderr.write(str(error))
                    raise SystemExit(2) from None
            self.stdout.write(self.style.SUCCESS(f"Demo province loaded: {Unit.objects.count()} units."))
        self.stdout.write(f"\nDemo logins (password: {options['password']}):")
        for username, role, unit in demo_logins():
            self.stdout.write(f"  {username:<28} {role:<28} {unit}")
        notes = seeding.login_notes()
        if notes:
            self.stdout.write("\nAlso (same password):")
            for username, what, unit in notes:
                self.stdout.write(f"  {username:<28} {what} – {unit}")
        lookups = seeding.public_notes()
        if lookups:
            self.stdout.write("\nPublic lookups (no login):")
            for path, what in lookups:
                self.stdout.write(f"  {path:<28} {what}")
