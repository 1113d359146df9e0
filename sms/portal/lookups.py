"""The base of every public lookup: ``LookupView``.

A module offers a lookup to the department's portal from its ``portal.py``::

    class ResultForm(forms.Form):
        code = forms.CharField(label="Mã học sinh", max_length=20)
        birth_date = forms.DateField(label="Ngày sinh (dd/mm/yyyy)")

    class ResultLookup(LookupView):
        kind = "student-results"
        title = "Tra cứu kết quả học tập"
        form_class = ResultForm
        identifier_field = "code"          # the public identifier, counted by the throttle
        template_name = "students/portal/results.html"   # extends portal/lookup_base.html

        def lookup(self, data):            # published data only; None when anything is wrong
            ...

    portal_urlpatterns = [path("ket-qua-hoc-tap/", ResultLookup.as_view(), name="student-results")]

and names the route ("portal:student-results") in ``sms.portal.public.PUBLIC_ROUTE_NAMES``.

What the base guarantees, so no lookup has to remember it:

- Sessionless and CSRF-exempt: it never reads ``request.session`` or ``request.user``; it
  answers with no ``Set-Cookie`` and no ``Vary: Cookie``, whoever calls it.
- Identifiers and secrets come from the POST body (form-encoded or JSON), never the URL.
  GET only shows the empty form. The identifier is normalised (NFC, trimmed, case) before
  it is counted, looked up or logged.
- Throttled per client IP (every lookup, ``PORTAL_RATE_PER_IP`` a minute, valid or not) and
  per identifier (misses only, ``PORTAL_MISSES_PER_IDENTIFIER`` an hour) before the lookup
  runs: HTTP 429, a Vietnamese message and ``Retry-After``. Only the form's own checks run
  before (no query: a form must not read the database to validate); a throttled request gets
  its 429 whatever it sent. Both counters move in one round trip to the cache.
- A miss is one answer: an unknown identifier and a wrong secret give the same status and the
  same bytes (nothing typed is echoed back).
- Reads may go to the read replica (``sms.dbrouter.replica_reads``); writes go to the primary.
- Every lookup is logged (``LookupLog``: kind, identifier, found, throttled, IP, time) in one
  INSERT; the secret is never stored.
- ``Cache-Control: no-store, private``; JSON when the client asks for it (``Accept`` or
  ``?format=json``, or a JSON body), an accessible Vietnamese page otherwise.
- Embedding only from ``PORTAL_ORIGINS``: ``Content-Security-Policy: frame-ancestors`` lists
  them (X-Frame-Options is lifted for these views only), and CORS answers only those
  origins (``Access-Control-Allow-Origin`` echoed, ``Vary: Origin``, a preflight for POST
  with ``Content-Type``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views import View

from sms.accounts.middleware import sessionless
from sms.dbrouter import replica_reads
from sms.net import client_ip

from . import logbook, store, throttle
from .models import LookupLog

MSG_NOT_FOUND = "Không tìm thấy thông tin phù hợp. Vui lòng kiểm tra lại các thông tin đã nhập."
MSG_INVALID = "Thông tin tra cứu chưa hợp lệ. Vui lòng kiểm tra các mục được đánh dấu."
MSG_BAD_BODY = "Yêu cầu không hợp lệ: thông tin tra cứu phải gửi trong nội dung yêu cầu (biểu mẫu hoặc JSON)."
MSG_THROTTLED = "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau {minutes} phút."

IDENTIFIER_MAX_LENGTH = LookupLog._meta.get_field("identifier").max_length
JSON_TYPE = "application/json"
HTML_TYPE = "text/html"


def portal_origins() -> list[str]:
    return [origin.rstrip("/") for origin in getattr(settings, "PORTAL_ORIGINS", []) or []]


def frame_ancestors() -> str:
    return " ".join(["'self'", *portal_origins()])


def portal_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The headers of every public portal answer: never cached by intermediaries, framed only by
    the portal's origins, CORS only for them, not indexed."""
    # No Expires (it carries the current time): two answers to two lookups stay identical.
    patch_cache_control(response, no_cache=True, no_store=True, must_revalidate=True, private=True, max_age=0)
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors()}"
    )
    response.xframe_options_exempt = True  # frame-ancestors above decides who may embed
    response["X-Robots-Tag"] = "noindex, nofollow"
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in portal_origins():
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ("Origin", "Accept"))
    return response


class LookupView(View):
    """A public lookup: GET shows the form, POST looks up (see the module docstring)."""

    #: short machine name, stored in the log ("student-results")
    kind: ClassVar[str] = ""
    title: ClassVar[str] = "Tra cứu"
    intro: ClassVar[str] = ""
    form_class: ClassVar[type[forms.Form]]
    #: the form field holding the public identifier (throttled and logged; the other fields are secrets)
    identifier_field: ClassVar[str] = ""
    #: "upper", "lower" or None: how the identifier is compared
    identifier_case: ClassVar[str | None] = "upper"
    template_name: ClassVar[str] = "portal/lookup_base.html"
    http_method_names: ClassVar[list[str]] = ["get", "post", "options"]

    # --- what a lookup provides ------------------------------------------------------------

    def lookup(self, data: Mapping[str, Any]) -> Any | None:
        """The published result for the cleaned form ``data``, or None when the identifier is
        unknown, the secret is wrong or nothing is published — all the same to the caller."""
        raise NotImplementedError

    def result_data(self, result: Any) -> dict[str, Any]:
        """The result as JSON-ready data (ISO dates, decimals as strings)."""
        if isinstance(result, Mapping):
            return dict(result)
        raise NotImplementedError(f"{type(self).__name__} must define result_data()")

    def result_rows(self, result: Any) -> list[tuple[str, Any]]:
        """(label, value) pairs the base page shows; templates may render ``result`` themselves."""
        return [(str(k), v) for k, v in self.result_data(result).items()]

    def identifier_of(self, data: Mapping[str, Any]) -> str:
        """The identifier counted by the throttle and logged, from the cleaned ``data``: the
        identifier field, unless the lookup names its item by more than one field (an exam's
        candidate number is "exam/number")."""
        return data.get(self.identifier_field) or ""

    def log_unit_id(self, data: Mapping[str, Any], result: Any | None) -> int | None:
        """The unit whose portal answered, stored on the log row (for the department's readers)."""
        return None

    def attempt(self, data: Mapping[str, Any], identifier: str, ip: str) -> tuple[Any | None, bool]:
        """``lookup``, and whether it wrote its log row itself (else the base writes it): a lookup
        on the store does both in one round trip."""
        return self.lookup(data), False

    # --- the machinery ---------------------------------------------------------------------

    @classmethod
    def as_view(cls, **initkwargs):
        if not cls.kind or not cls.identifier_field or not getattr(cls, "form_class", None):
            raise TypeError(f"{cls.__name__} must set kind, form_class and identifier_field")
        view = super().as_view(**initkwargs)
        view.csrf_exempt = True  # nothing here acts on a session, so there is nothing to forge
        return sessionless(view)  # public by design; the account middleware leaves the session alone

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Published data may be read a moment old: from the read replica when there is one
        # (``sms.dbrouter``); the log is written to the primary.
        with replica_reads():
            response = super().dispatch(request, *args, **kwargs)
        return self.finish(request, response)

    def finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return portal_headers(request, response)

    def options(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """CORS preflight: allowed only for the portal's origins (the headers are added in finish)."""
        response = HttpResponse(status=204)
        response["Allow"] = "GET, POST, OPTIONS"
        origin = request.headers.get("Origin", "").rstrip("/")
        if origin and origin in portal_origins():
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
            response["Access-Control-Max-Age"] = "600"
        return response

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The query string is never read for identifiers: the form is always empty.
        if self.wants_json(request):
            fields = []
            for name, field in self.form_class().fields.items():
                described = {"name": name, "label": str(field.label or name), "required": field.required}
                if getattr(field, "choices", None) is not None:
                    described["choices"] = [
                        {"value": str(value), "label": str(label)} for value, label in field.choices if value != ""
                    ]
                if field.help_text:
                    described["help"] = str(field.help_text)
                fields.append(described)
            return self.json({"kind": self.kind, "title": self.title, "method": "POST", "fields": fields})
        return self.page(request, form=self.form_class())

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        as_json = self.wants_json(request)
        ip = client_ip(request)
        data = self.body_data(request)
        identifier = self.normalise((data or {}).get(self.identifier_field))
        form = None
        if data is not None:
            data[self.identifier_field] = identifier
            form = self.form_class(data)
        # The form is checked before the address is counted (no query; a throttled request gets
        # its 429 whatever it sent): a valid request is then counted and reserved in one round trip.
        if form is None or not form.is_valid():
            verdict = throttle.hit_ip(ip)
            if not verdict.allowed:
                self.log(identifier, ip=ip, found=False, throttled=True)
                return self.throttled(request, verdict.retry_after, as_json)
            return self.invalid(request, form, as_json)
        cleaned = dict(form.cleaned_data)
        cleaned[self.identifier_field] = self.normalise(cleaned.get(self.identifier_field))
        identifier = self.normalise(self.identifier_of(cleaned))

        by_ip, by_identifier = throttle.hit_ip_and_reserve(ip, self.kind, identifier)
        for verdict in (by_ip, by_identifier):
            if not verdict.allowed:
                self.log(identifier, ip=ip, found=False, throttled=True)
                return self.throttled(request, verdict.retry_after, as_json)

        result, logged = self.attempt(cleaned, identifier, ip)
        if not logged:
            self.log(
                identifier, ip=ip, found=result is not None, throttled=False, unit_id=self.log_unit_id(cleaned, result)
            )
        if result is not None:
            throttle.release_attempt(self.kind, identifier)
            return self.hit(request, result, as_json)
        return self.miss(request, as_json)

    # --- input -------------------------------------------------------------------------------

    def normalise(self, value) -> str:
        return throttle.normalise_identifier(value, self.identifier_case)[:IDENTIFIER_MAX_LENGTH]

    @staticmethod
    def body_data(request: HttpRequest) -> dict[str, str] | None:
        """The POST body as flat strings, or None when it cannot be one (bad JSON, nested values)."""
        if request.content_type == JSON_TYPE:
            try:
                payload = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                return None
            if not isinstance(payload, dict):
                return None
            data: dict[str, str] = {}
            for key, value in payload.items():
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    return None
                data[str(key)] = value if isinstance(value, str) else json.dumps(value)
            return data
        return {key: request.POST.get(key, "") for key in request.POST}

    @staticmethod
    def wants_json(request: HttpRequest) -> bool:
        fmt = request.GET.get("format") if request.META.get("QUERY_STRING") else None
        if fmt in ("json", "html"):
            return fmt == "json"
        accept = request.META.get("HTTP_ACCEPT", "").strip()
        if accept == JSON_TYPE:  # the portal's own calls: no negotiation to do
            return True
        if accept and accept != "*/*":
            return request.get_preferred_type([HTML_TYPE, JSON_TYPE]) == JSON_TYPE
        return request.content_type == JSON_TYPE

    # --- output ------------------------------------------------------------------------------

    def log(self, identifier: str, *, ip: str, found: bool, throttled: bool, unit_id: int | None = None) -> None:
        logbook.write_log(self.kind, identifier, ip=ip, found=found, throttled=throttled, unit_id=unit_id)

    @staticmethod
    def json(payload: dict, status: int = 200) -> JsonResponse:
        return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})

    def page(self, request: HttpRequest, status: int = 200, **context) -> HttpResponse:
        """The standalone page; rendered without the request, so no context processor reads
        the session or the user."""
        context = {
            "title": self.title,
            "intro": self.intro,
            "kind": self.kind,
            "action": request.path,
            "found": None,
            **context,
        }
        return HttpResponse(render_to_string(self.template_name, context), status=status)

    def hit(self, request: HttpRequest, result: Any, as_json: bool) -> HttpResponse:
        if as_json:
            return self.json({"found": True, "result": self.result_data(result)})
        return self.page(
            request, form=self.form_class(), found=True, result=result, result_rows=self.result_rows(result)
        )

    def miss(self, request: HttpRequest, as_json: bool) -> HttpResponse:
        # Nothing the client sent is echoed: the unknown id and the wrong secret look the same.
        if as_json:
            return self.json({"found": False, "message": MSG_NOT_FOUND})
        return self.page(request, form=self.form_class(), found=False, message=MSG_NOT_FOUND)

    def invalid(self, request: HttpRequest, form: forms.Form | None, as_json: bool) -> HttpResponse:
        if form is None:
            if as_json:
                return self.json({"found": False, "message": MSG_BAD_BODY}, status=400)
            return self.page(request, status=400, form=self.form_class(), message=MSG_BAD_BODY, errors=[])
        errors = []
        for name, messages in form.errors.items():
            field = form.fields.get(name)
            if field is not None:
                form.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{form[name].auto_id}-error"}
                )
            label = str(field.label) if field is not None and field.label else ""
            errors.extend(
                {"field": name, "id": form[name].auto_id if field is not None else "", "label": label, "message": m}
                for m in messages
            )
        if as_json:
            return self.json(
                {"found": False, "message": MSG_INVALID, "errors": {k: list(v) for k, v in form.errors.items()}},
                status=400,
            )
        return self.page(request, status=400, form=form, message=MSG_INVALID, errors=errors)

    def throttled(self, request: HttpRequest, retry_after: int, as_json: bool) -> HttpResponse:
        message = MSG_THROTTLED.format(minutes=max(1, math.ceil(retry_after / 60)))
        if as_json:
            response = self.json({"found": False, "throttled": True, "message": message}, status=429)
        else:
            response = self.page(request, status=429, form=self.form_class(), throttled=True, message=message)
        response["Retry-After"] = str(retry_after)
        return response


class StoredLookup(LookupView):
    """A lookup answered from the precomputed store (``sms.portal.store``): one indexed query,
    which on PostgreSQL also writes the log's row (one round trip for both).

    ``store_key(data)`` is the store's key for the cleaned form (the identifier by default);
    ``secret_field`` the form field holding the second secret, or None when the identifier
    alone opens the item; a lookup reading more than one kind overrides ``store_query``. The
    result is the list of the store's hits, in the store's order; ``result_data`` gives their
    payloads as ``{"items": [...]}`` — as JSON, the stored text passed through as it is.
    """

    store_kind: ClassVar[str] = ""
    secret_field: ClassVar[str | None] = None

    def store_key(self, data: Mapping[str, Any]) -> str:
        return self.identifier_of(data)

    def secret_of(self, data: Mapping[str, Any]) -> Any:
        return data.get(self.secret_field) if self.secret_field else None

    def store_query(self, data: Mapping[str, Any]) -> tuple[str, str, Any, bool] | None:
        """(kind, key, secret, need_secret) of the store's items the cleaned ``data`` asks for,
        or None when it names none."""
        key = self.store_key(data)
        if not key:
            return None
        return (self.store_kind or self.kind, key, self.secret_of(data), self.secret_field is not None)

    def lookup(self, data: Mapping[str, Any]) -> list[store.Hit] | None:
        query = self.store_query(data)
        if query is None:
            return None
        kind, key, secret, need_secret = query
        return store.find(kind, key, secret, need_secret=need_secret) or None

    def attempt(self, data: Mapping[str, Any], identifier: str, ip: str) -> tuple[list[store.Hit] | None, bool]:
        query = self.store_query(data)
        if query is None:
            return None, False
        kind, key, secret, need_secret = query
        hits = store.find(kind, key, secret, need_secret=need_secret, log=logbook.Entry(self.kind, identifier, ip))
        return hits or None, True

    def result_data(self, result: list[store.Hit]) -> dict[str, Any]:
        return {"items": [hit.payload for hit in result]}

    def log_unit_id(self, data: Mapping[str, Any], result: list[store.Hit] | None) -> int | None:
        return result[0].unit_id if result else None

    def hit(self, request: HttpRequest, result: list[store.Hit], as_json: bool) -> HttpResponse:
        if as_json and type(self).result_data is StoredLookup.result_data:
            # The same document ``self.json`` would write, from the stored texts as they are.
            items = ", ".join(hit.raw for hit in result)
            body = f'{{"found": true, "result": {{"items": [{items}]}}}}'
            return HttpResponse(body.encode(), content_type=JSON_TYPE)
        return super().hit(request, result, as_json)
