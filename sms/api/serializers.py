"""Serializer bases whose every relation goes through the scoping door."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from sms.accounts.actors import actor_from_request
from sms.accounts.models import User
from sms.accounts.scoping import METHOD_ACTIONS, people_in, units_for, visible_to
from sms.imports import STATUS_CHOICES
from sms.org.models import Unit

from .errors import django_validation_to_dict

RELATION_ERRORS = {
    "required": "Trường này là bắt buộc.",
    "does_not_exist": "Không tìm thấy đối tượng có mã “{pk_value}”.",
    "incorrect_type": "Mã đối tượng phải là số, không phải {data_type}.",
    "null": "Trường này không được để trống.",
}


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key relation whose choices are what the request's actor may reach.

    A unit field offers the units where the actor may write the parent model; a person field
    the people of those units; any other model, the rows the door shows the actor.
    """

    default_error_messages = RELATION_ERRORS

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        actor = getattr(request, "actor", None) or (actor_from_request(request) if request else None)
        owner_model = self.parent.Meta.model if hasattr(self.parent, "Meta") else None
        action = METHOD_ACTIONS.get(request.method, "view") if request else "view"
        action = "view" if action in ("view", "delete") else action
        if queryset.model is Unit:
            if owner_model is None or action == "view":
                return visible_to(actor, Unit)
            return units_for(actor, owner_model, action)
        if queryset.model is User:
            units = units_for(actor, owner_model, action) if owner_model else visible_to(actor, Unit)
            return people_in(units)
        return visible_to(actor, queryset)

    def display_value(self, instance):
        return str(instance)


class ScopedModelSerializer(serializers.ModelSerializer):
    """Model serializer whose relations go through the door and whose rows keep the model's
    invariants: the owning school is taken from ``school_from`` where the model has one, and
    ``full_clean()`` runs before saving, so the API and the HTML forms accept the same data."""

    serializer_related_field = ScopedRelatedField

    def get_validators(self):
        # Uniqueness and every other invariant is checked once, by the model's full_clean().
        return []

    def get_fields(self):
        fields = super().get_fields()
        school_from = getattr(self.Meta.model, "school_from", None)
        if school_from and "school" in fields:
            fields["school"] = serializers.PrimaryKeyRelatedField(read_only=True)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        school_from = getattr(model, "school_from", None)
        if school_from and school_from in attrs and attrs[school_from] is not None:
            attrs["school"] = attrs[school_from].school
        # Validate a copy, so a refused update leaves the stored instance untouched.
        instance = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if not self._is_m2m(name):
                setattr(instance, name, value)
        try:
            instance.full_clean(
                exclude=self._unchecked_fields(model, attrs),
                validate_constraints=getattr(self.Meta, "validate_constraints", True),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_validation_to_dict(exc)) from None
        return attrs

    def _is_m2m(self, name: str) -> bool:
        try:
            return self.Meta.model._meta.get_field(name).many_to_many
        except Exception:
            return False

    def _unchecked_fields(self, model, attrs) -> list[str]:
        """Fields the serializer does not write (auto, read-only) are not re-validated."""
        names = []
        for field in model._meta.concrete_fields:
            if field.name not in attrs and (not field.editable or field.primary_key):
                names.append(field.name)
        return names


# --- the shape of an import preview (``sms.imports``), shared by every module's import endpoint ----------------


class ImportRowSerializer(serializers.Serializer):
    """One row of an import preview: its Excel row number, status, errors (by column too) and notes."""

    row = serializers.IntegerField(help_text="Số dòng trong tệp Excel.")
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
    status_display = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField(), help_text="Lỗi của dòng, có tên cột.")
    column_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Lỗi theo cột: tên cột → các lỗi."
    )
    notes = serializers.ListField(child=serializers.CharField())


class ImportCountsSerializer(serializers.Serializer):
    """How many rows of a preview are new, updated, unchanged and in error."""

    new = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()
