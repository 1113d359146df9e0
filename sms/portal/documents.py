"""QR codes on printed documents, and the public page each one opens (Art. 14.7–14.9).

A module that prints a document anyone may need to verify (a record book, a diploma) mints a
token for each printing and prints its check URL as a QR code::

    from sms.portal import documents

    token = documents.issue_token("diploma", diploma.pk, unit_id=diploma.issuer.unit_id,
                                  actor=actor, label=f"Văn bằng {diploma.serial}")
    flowable = pdf.qr_code(documents.check_url(token))

and registers, in its ``portal.py``, how the check page describes the document now::

    documents.register("diploma", title="Kiểm tra văn bằng", describe=describe_diploma)

where ``describe(ref)`` returns a ``Check`` (what the page shows, read from the published
store or the module's tables) or None when there is nothing to show any more.

The token is 128 random bits (``secrets.token_urlsafe``); only its SHA-256 digest is stored,
so the database cannot reprint a code, and each printing gets a new token. The unit's leaders
revoke a token (a lost or forged paper): its page then answers exactly like an unknown code.
The check page is public, sessionless, throttled per IP, logged without the token, never
cached by intermediaries, and embeddable only from the portal's origins (as every lookup).
The token travels in the query string (``?ma=``) because a QR code can only carry a URL.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.middleware import sessionless
from sms.net import client_ip
from sms.views import ScopedObjectMixin, role_may

from . import throttle
from .logbook import write_log
from .lookups import MSG_THROTTLED, LookupView, portal_headers
from .models import DocumentToken

TITLE = "Kiểm tra giấy tờ"
INTRO = (
    "Nhập mã kiểm tra in dưới mã QR trên học bạ hoặc văn bằng (hoặc dán cả địa chỉ in dưới mã) "
    "để xem thông tin hiện hành của giấy tờ đó."
)
FIELD_LABEL = "Mã kiểm tra"
FIELD_HELP = "Phần sau “?ma=” trong địa chỉ in dưới mã QR; phân biệt chữ hoa, chữ thường."
MSG_UNKNOWN = (
    "Mã kiểm tra không hợp lệ hoặc đã bị thu hồi. Giấy tờ này không xác thực được qua mã QR; "
    "vui lòng liên hệ đơn vị cấp để được xác minh."
)
CHECK_KIND = "document-check"
TOKEN_BYTES = 16


@dataclass
class Check:
    """What a document's check page shows: a heading, a status (``status`` a machine name such
    as "valid", "corrected", "revoked"; ``status_label`` its Vietnamese words), and rows."""

    heading: str
    status: str
    status_label: str
    rows: list[tuple[str, Any]] = field(default_factory=list)
    #: notes under the table (a correction, a revocation), in Vietnamese
    notes: list[str] = field(default_factory=list)
    #: the same facts for the JSON answer (ISO dates)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    title: str
    describe: Callable[[str], Check | None]


_KINDS: dict[str, DocumentKind] = {}


def register(kind: str, *, title: str, describe: Callable[[str], Check | None]) -> None:
    _KINDS[kind] = DocumentKind(kind, title, describe)


def kinds() -> dict[str, DocumentKind]:
    from .store import _load_modules

    _load_modules()
    return dict(_KINDS)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(kind: str, ref: Any, *, unit_id: int, actor=None, label: str = "") -> str:
    """A new token for one printing of document ``ref`` of ``kind``; returns it in clear (the
    only time it exists in clear: print it, do not store it)."""
    return issue_tokens(kind, [(ref, unit_id, label)], actor=actor)[0]


def issue_tokens(kind: str, items: list[tuple[Any, int, str]], *, actor=None) -> list[str]:
    """Tokens for many documents at once (a class's record books): ``items`` are
    (ref, unit_id, label); one INSERT; tokens in the same order."""
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in items]
    if not tokens:
        return []
    user = getattr(actor, "user", None)
    DocumentToken.objects.bulk_create(
        DocumentToken(kind=kind, ref=str(ref), digest=digest(token), label=label[:255], unit_id=unit_id,
                      created_by=user if getattr(user, "pk", None) else None)
        for token, (ref, unit_id, label) in zip(tokens, items, strict=True)
    )  # fmt: skip
    return tokens


def check_url(token: str) -> str:
    """The absolute URL a QR code carries: ``PORTAL_PUBLIC_URL`` + the check page + the token."""
    base = (getattr(settings, "PORTAL_PUBLIC_URL", "") or "").strip().rstrip("/")
    return f"{base}{reverse('portal:document-check')}?ma={token}"


def token_of(typed: str) -> str:
    """The token in what was scanned or typed: the code itself, or a whole check URL pasted
    into the form (the code after ``ma=``)."""
    typed = "".join((typed or "").split())
    if "ma=" in typed:
        typed = (parse_qs(urlsplit(typed).query or typed.split("?", 1)[-1]).get("ma") or [""])[-1]
    return typed


def resolve(token: str) -> DocumentToken | None:
    """The active token row for ``token`` as typed or scanned, or None."""
    token = token_of(token)
    if not token or len(token) > 64:
        return None
    return DocumentToken.objects.filter(digest=digest(token), revoked_at=None).first()


def revoke(actor, token: DocumentToken) -> DocumentToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor.user
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def tokens_for(actor, kind: str, ref: Any):
    """The tokens printed for one document that ``actor`` may see, newest first."""
    from sms.accounts.scoping import visible_to

    return visible_to(actor, DocumentToken).filter(kind=kind, ref=str(ref)).select_related("created_by", "revoked_by")


def printed_codes(actor, kind: str, ref: Any, *, next_url: str) -> dict[str, Any]:
    """The context of ``portal/_document_tokens.html`` for one document's page: its printed codes
    the actor reads, and whether their role revokes codes (the door decides which: the list
    holds only codes of units the actor reaches)."""
    return {
        "tokens": list(tokens_for(actor, kind, ref)),
        "can_revoke_tokens": role_may(actor, DocumentToken, "change"),
        "next": next_url,
    }


# --- the public check page ------------------------------------------------------------------------


class CheckView(View):
    """GET ``/cong/kiem-tra/?ma=<token>``: what the document behind the QR code says now."""

    http_method_names = ["get", "options"]
    template_name = "portal/document_check.html"

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        return sessionless(view)

    def get(self, request: HttpRequest) -> HttpResponse:
        as_json = LookupView.wants_json(request)
        if not token_of(request.GET.get("ma", "")):
            # nothing to check yet: the form to type the code in (nothing looked up, nothing logged)
            return self.form(request, as_json)
        ip = client_ip(request)
        verdict = throttle.hit_ip(ip)
        if not verdict.allowed:
            write_log(CHECK_KIND, "", ip=ip, found=False, throttled=True)
            message = MSG_THROTTLED.format(minutes=max(1, -(-verdict.retry_after // 60)))
            response = self.answer(request, as_json, status=429, message=message, throttled=True)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        row = resolve(request.GET.get("ma", ""))
        kind = _KINDS.get(row.kind) if row is not None else None
        check = kind.describe(row.ref) if kind is not None else None
        # logged as the document it names (never the token), or blank for an unknown code
        write_log(CHECK_KIND, f"{row.kind}:{row.ref}" if check else "", ip=ip, found=check is not None,
                  throttled=False, unit_id=row.unit_id if check else None)  # fmt: skip
        if check is None:
            return self.answer(request, as_json, status=404, message=MSG_UNKNOWN)
        return self.answer(request, as_json, check=check, title=kind.title)

    def form(self, request: HttpRequest, as_json: bool) -> HttpResponse:
        if as_json:
            field = {"name": "ma", "label": FIELD_LABEL, "required": True, "help": FIELD_HELP}
            response = LookupView.json({"kind": CHECK_KIND, "title": TITLE, "method": "GET", "fields": [field]})
            return self.finish(request, response)
        return self.answer(request, as_json, show_form=True, intro=INTRO)

    def answer(self, request, as_json: bool, *, status: int = 200, **context) -> HttpResponse:
        check: Check | None = context.get("check")
        if as_json:
            if check is None:
                payload = {"found": False, "message": context.get("message", "")}
                if context.get("throttled"):
                    payload["throttled"] = True
            else:
                payload = {
                    "found": True,
                    "status": check.status,
                    "status_label": check.status_label,
                    "heading": check.heading,
                    "data": check.data,
                    "notes": check.notes,
                }
            response = LookupView.json(payload, status=status)
        else:
            context.setdefault("title", TITLE)
            context.update(field_label=FIELD_LABEL, field_help=FIELD_HELP)
            if status == 404:
                context["show_form"] = True  # type the code again (what was typed is not echoed)
            response = HttpResponse(render_to_string(self.template_name, context), status=status)
        return self.finish(request, response)

    @staticmethod
    def finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
        return portal_headers(request, response)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.finish(request, HttpResponse(status=204, headers={"Allow": "GET, OPTIONS"}))


check_view = CheckView.as_view()


# --- revoking a token (the unit's leaders, signed in) ----------------------------------------------


class TokenRevokeView(ScopedObjectMixin, SingleObjectMixin, View):
    """POST: revoke one printed code; back to the document's page."""

    model = DocumentToken
    scope_action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        token = self.get_object()
        revoke(self.actor, token)
        messages.success(request, f"Đã thu hồi mã kiểm tra: {token}. Bản in mang mã này không còn xác thực được.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("home")
        return HttpResponseRedirect(target)
