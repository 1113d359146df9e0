"""The demo diplomas (``exams/seed_diplomas.py``): issuers as a deployment configures them, last year's decided
THCS round with its register (issued, corrected, copied, revoked), this year's round open with its council."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from exams.models import (
    Diploma,
    DiplomaCopy,
    DiplomaKind,
    DiplomaStatus,
    GraduationRound,
    Issuer,
    RoundStatus,
)
from exams.seed_diplomas import GRADUATES, seed_diplomas
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.accounts.seed import seed_accounts
from sms.org.seed import seed_org
from sms.seeding import SeedContext, registered
from students.seed import seed_students

from .test_setup_seed import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path) -> SeedContext:
    settings.MEDIA_ROOT = tmp_path / "media"  # the correction's dossier
    ctx = SeedContext(schools=9, students=200)
    seed_org(ctx)
    seed_accounts(ctx)
    seed_students(ctx)
    seed_diplomas(ctx)
    return ctx


def test_the_seeder_runs_after_the_exams():
    names = [name for name, _ in registered()]
    assert names.index("exams-diplomas") > names.index("exams")


def test_issuers_cover_every_type(demo):
    kinds = {kind for issuer in Issuer.objects.all() for kind in issuer.kinds}
    assert kinds == set(DiplomaKind.values)
    assert Issuer.objects.filter(name__startswith="Ủy ban nhân dân xã", signer_title="Chủ tịch").exists()


def test_last_years_register_went_through_the_services(demo):
    decided = GraduationRound.objects.get(status=RoundStatus.DECIDED)
    diplomas = Diploma.objects.filter(entry__round=decided).order_by("entry_number")
    recognised = decided.entries.filter(recognised=True).count()
    assert recognised == GRADUATES - 2
    assert list(diplomas.values_list("entry_number", flat=True)) == list(range(1, recognised + 1))
    statuses = sorted(diplomas.values_list("status", flat=True))
    assert statuses.count(DiplomaStatus.REVOKED) == 1
    assert statuses.count(DiplomaStatus.CORRECTED) == 1
    assert DiplomaCopy.objects.filter(diploma__in=diplomas).count() == 1
    # issued with history attributed to the Phòng's specialist
    first = diplomas.first()
    assert first.history.earliest().history_user.username.startswith("pgd.")


def test_this_years_round_is_open_for_the_school(demo):
    draft = GraduationRound.objects.get(status=RoundStatus.DRAFT)
    principal = Membership.objects.get(unit=draft.unit, role=Role.PRINCIPAL, user__username__startswith="ht.")
    assert draft.council.count() == 7
    assert visible_to(as_user(principal.user.username), GraduationRound).filter(pk=draft.pk).exists()


def test_the_revocation_is_on_the_public_list(demo):
    revoked = Diploma.objects.get(status=DiplomaStatus.REVOKED)
    page = Client().get(reverse("portal:diploma-revocations"))
    assert page.status_code == 200
    assert revoked.serial in page.content.decode()
