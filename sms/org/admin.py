from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AdministrativeArea, SchoolClass, SchoolYear, Semester, Subject, SubjectPlan, Unit, UnitMove


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "school_type", "parent")
    list_filter = ("kind", "school_type")
    search_fields = ("code", "search_key")
    raw_id_fields = ("parent", "area")


admin.site.register([AdministrativeArea, UnitMove, SchoolYear, Semester, SchoolClass, Subject, SubjectPlan])
