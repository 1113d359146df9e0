"""The diplomas the public portal shows (Circular 53/2012 Art. 14.9; TT21/2019), written into the precomputed store.

Every entry of an original register is public once issued: TT21/2019 makes the issuance data public so anyone (an
employer, a school) can check that a paper is genuine, and revocations are published. So every ``Diploma`` row is
in the store, valid, corrected or revoked (a revoked diploma stays findable, as revoked), under two kinds:

- ``SERIAL_KIND`` ("diploma-serial"): key the serial number (``sms.portal.throttle.normalise_identifier(serial,
  "upper")``, the lookup's own rule — the same string as ``rules.normalise_serial``), no second secret: the serial
  alone opens it;
- ``NAME_KIND`` ("diploma-name"): key ``sms.text.search_key(full name)`` (no diacritics, lower case), opened only
  with the date of birth (stored as an HMAC digest by ``sms.portal.store``).

The payload is only what the diploma prints (holder, date and place of birth, sex, type, graduation year, serial,
entry number, issuer, signer, issue date and place) plus its status: valid; corrected, with each correction's
decision (number, date) and WHICH items it corrected — never the old values (a former name or sex is nobody's
business); revoked, with the decision's number and date and the reason's label (not the decision's free text).

Who writes. ``publish(diplomas)`` is called by the register's services in the same transaction as the change:
issue (batch and by hand), correction, revocation, an issuer's new name or place (printed on its diplomas), and the
import of a past register. A constant number of queries for up to ``store.BATCH`` diplomas (one read of the rows
with their revocation, one of their corrections, then the store's delete and insert per kind). A copy from the
register changes nothing the portal shows. ``build_serial`` / ``build_name`` are the builders ``manage.py
portal_rebuild`` runs (registered in ``exams.portal_diplomas``).

``print_check_url(actor, diploma, copy=None)`` mints the QR token of one printing (token kind ``DOCUMENT_KIND``
"diploma", ref the diploma's id, unit the issuer's register-keeping unit) and returns the URL the QR code carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from sms.portal import documents, store
from sms.portal.throttle import normalise_identifier
from sms.text import search_key

from ..models import Diploma, DiplomaCorrection, DiplomaKind, DiplomaStatus

SERIAL_KIND = "diploma-serial"
NAME_KIND = "diploma-name"
KINDS = (SERIAL_KIND, NAME_KIND)
#: the token kind of the QR codes printed on diplomas and on copies from the register
DOCUMENT_KIND = "diploma"

SEX = {"M": "Nam", "F": "Nữ"}
#: the items a correction may change (``rules.CORRECTABLE_FIELDS``), as the portal names them
FIELD_NAMES = {
    "full_name": "họ và tên",
    "birth_date": "ngày sinh",
    "birthplace": "nơi sinh",
    "sex": "giới tính",
    "ethnicity": "dân tộc",
}


def serial_key(serial: str) -> str:
    """The store key of a serial number: exactly how the lookup normalises the typed serial."""
    return normalise_identifier(serial, "upper")


def name_key(full_name: str) -> str:
    """The store key of a holder's name: without diacritics, lower case, single spaces."""
    return search_key(full_name)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _revocation(diploma: Diploma):
    try:
        return diploma.revocation
    except Diploma.revocation.RelatedObjectDoesNotExist:
        return None


def payload(diploma: Diploma) -> dict[str, Any]:
    """What the portal shows of one diploma (JSON-ready: ISO dates). Select it with ``selected``."""
    revocation = _revocation(diploma)
    corrections = [
        {
            "decision_number": c.decision_number,
            "decision_date": _iso(c.decision_date),
            "fields": [f for f in FIELD_NAMES if f in (c.changes or {})],
            "fields_display": [FIELD_NAMES[f] for f in FIELD_NAMES if f in (c.changes or {})],
        }
        for c in diploma.corrections.all()
    ]
    return {
        "kind": diploma.kind,
        "kind_display": DiplomaKind(diploma.kind).label,
        "serial": diploma.serial,
        "entry_label": diploma.entry_label,
        "full_name": diploma.full_name,
        "birth_date": _iso(diploma.birth_date),
        "birthplace": diploma.birthplace,
        "sex": diploma.sex,
        "sex_display": SEX.get(diploma.sex, diploma.sex),
        "graduation_year": diploma.graduation_year,
        "issuer": diploma.issuer.name,
        "signer_title": diploma.signer_title,
        "signer_name": diploma.signer_name,
        "issued_on": _iso(diploma.issued_on),
        "place": diploma.issuer.place_name,
        "status": diploma.status,
        "status_display": DiplomaStatus(diploma.status).label,
        "corrections": corrections,
        "revocation": None
        if revocation is None
        else {
            "decision_number": revocation.decision_number,
            "decision_date": _iso(revocation.decision_date),
            "reason": revocation.reason,
            "reason_display": revocation.get_reason_display(),
        },
    }


def records(diploma: Diploma) -> tuple[store.Record, store.Record]:
    """The diploma's two store items: by serial (no secret) and by name (the birth date opens it)."""
    data = payload(diploma)
    unit_id = diploma.issuer.unit_id
    return (
        store.Record(key=serial_key(diploma.serial), ref=str(diploma.pk), payload=data, unit_id=unit_id),
        store.Record(
            key=name_key(diploma.full_name),
            ref=str(diploma.pk),
            payload=data,
            secrets=[diploma.birth_date],
            unit_id=unit_id,
        ),
    )


def selected(diplomas: QuerySet) -> QuerySet:
    """``diplomas`` with what ``payload`` reads: the issuer and the revocation joined, the corrections prefetched
    in their order (two queries whatever the number)."""
    return diplomas.select_related("issuer", "revocation").prefetch_related(
        Prefetch("corrections", queryset=DiplomaCorrection.objects.order_by("made_at", "pk"))
    )


def publish(diplomas: Iterable[Diploma | int]) -> int:
    """Write the store's items of ``diplomas`` (rows or ids) as the tables say now. Call inside the transaction of
    the change. Returns the number of diplomas written."""
    ids = sorted({int(getattr(d, "pk", d)) for d in diplomas})
    written = 0
    for start in range(0, len(ids), store.BATCH):
        chunk = ids[start : start + store.BATCH]
        rows = list(selected(Diploma.objects.filter(pk__in=chunk)))
        by_serial, by_name = [], []
        for diploma in rows:
            serial, name = records(diploma)
            by_serial.append(serial)
            by_name.append(name)
        store.replace(SERIAL_KIND, chunk, by_serial)
        store.replace(NAME_KIND, chunk, by_name)
        written += len(rows)
    return written


def publish_issuer(issuer) -> int:
    """Rewrite every diploma of ``issuer`` (its name or its place, printed on each, changed)."""
    return publish(Diploma.objects.filter(issuer=issuer).order_by("pk").values_list("pk", flat=True))


def _every_diploma() -> Iterator[Diploma]:
    return selected(Diploma.objects.order_by("pk")).iterator(chunk_size=store.BATCH)


def build_serial() -> Iterator[store.Record]:
    """Every published item of ``SERIAL_KIND``: every diploma of every register."""
    for diploma in _every_diploma():
        yield records(diploma)[0]


def build_name() -> Iterator[store.Record]:
    """Every published item of ``NAME_KIND``."""
    for diploma in _every_diploma():
        yield records(diploma)[1]


# --- the QR code of a printing ------------------------------------------------------------------------------------


def print_label(diploma: Diploma, copy=None) -> str:
    """How the printed codes list names one printing: "Văn bằng <serial> – in dd/mm/yyyy", or for a copy from the
    register "Bản sao <copy number> – văn bằng <serial> – in dd/mm/yyyy"."""
    day = f"in {timezone.localdate():%d/%m/%Y}"
    if copy is not None:
        return f"Bản sao {copy.number_label} – văn bằng {diploma.serial} – {day}"
    return f"Văn bằng {diploma.serial} – {day}"


def print_check_url(actor, diploma: Diploma, *, copy=None) -> str:
    """A new token for one printing of ``diploma`` (or of ``copy``, a copy of it from the register), kept under the
    issuer's register-keeping unit; returns the check URL its QR code carries (the token exists in clear only
    there)."""
    token = documents.issue_token(
        DOCUMENT_KIND, diploma.pk, unit_id=diploma.issuer.unit_id, actor=actor, label=print_label(diploma, copy)
    )
    return documents.check_url(token)
