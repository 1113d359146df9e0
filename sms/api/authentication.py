from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from sms.accounts.models import ApiToken


class MembershipTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``: the token names the user AND the membership they act in."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Tiêu đề Authorization không hợp lệ.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Khoá API không hợp lệ.") from None
        token = ApiToken.find(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Khoá API không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
        membership = token.membership
        ended = membership.ends_on is not None and membership.ends_on < timezone.localdate()
        if not membership.user.is_active or not membership.is_active or not membership.unit.is_active or ended:
            raise exceptions.AuthenticationFailed("Tài khoản hoặc vai trò gắn với khoá API không còn hiệu lực.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return membership.user, token

    def authenticate_header(self, request):
        return self.keyword
