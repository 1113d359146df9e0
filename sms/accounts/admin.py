from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Membership, User


@admin.register(User)
class SmsUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Thông tin thêm", {"fields": ("full_name", "personal_id", "phone")}))
    list_display = ("username", "full_name", "email", "is_active", "is_superuser")
    search_fields = ("username", "email", "search_key")


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "unit", "role", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("user", "unit", "granted_by")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "membership", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash")
