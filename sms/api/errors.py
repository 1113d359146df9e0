"""One error format for the whole API, with Vietnamese messages.

{"detail": "Dữ liệu không hợp lệ.", "code": "invalid", "errors": {"field": ["message", …]}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGES = {
    "not_authenticated": "Bạn cần đăng nhập.",
    "authentication_failed": "Đăng nhập không thành công.",
    "permission_denied": "Bạn không có quyền thực hiện thao tác này.",
    "not_found": "Không tìm thấy.",
    "method_not_allowed": "Phương thức không được hỗ trợ.",
    "throttled": "Bạn đã gửi quá nhiều yêu cầu, vui lòng thử lại sau.",
    "parse_error": "Dữ liệu gửi lên không đọc được.",
    "unsupported_media_type": "Định dạng dữ liệu không được hỗ trợ.",
}


def django_validation_to_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): [str(m) for e in errors for m in e.messages]
            for key, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _flatten(detail) -> dict[str, list[str]] | None:
    if isinstance(detail, dict):
        return {str(k): ([str(x) for x in v] if isinstance(v, list) else [str(v)]) for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(x) for x in detail]}
    return None


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_to_dict(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        body = {"detail": "Dữ liệu không hợp lệ.", "code": "invalid", "errors": _flatten(exc.detail) or {}}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        text = str(detail)
        default = str(getattr(exc, "default_detail", ""))
        if text == default and code in MESSAGES:
            text = MESSAGES[code]
        body = {"detail": text, "code": code}
    response.data = body
    if isinstance(exc, exceptions.NotAuthenticated) and response.status_code == status.HTTP_403_FORBIDDEN:
        response.status_code = status.HTTP_401_UNAUTHORIZED
    if response.status_code == status.HTTP_403_FORBIDDEN:
        _record_denied(context, body["detail"])
    return response


def _record_denied(context, detail: str) -> None:
    """Every refusal the API answers is in the audit log, like the HTML 403 page."""
    from sms.audit.services import EventKind, record

    request = context.get("request")
    if request is None:
        return
    record(EventKind.PERMISSION_DENIED, request=request, detail=detail)


def not_found_response() -> Response:
    return Response({"detail": MESSAGES["not_found"], "code": "not_found"}, status=404)
