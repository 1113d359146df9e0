"""Makers for the portal's models reached by a route (merged into tests.factories.MAKERS)."""

from __future__ import annotations

from sms.portal import documents
from sms.portal.models import DocumentToken


def _document_token(side) -> DocumentToken:
    token = documents.issue_token("record-book", side.school.pk, unit_id=side.school.pk, label="Học bạ (thử)")
    return DocumentToken.objects.get(digest=documents.digest(token))


MAKERS = {DocumentToken: _document_token}
