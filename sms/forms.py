"""Form bases whose every choice goes through the scoping door."""

from __future__ import annotations

from django import forms

from sms.accounts.models import User
from sms.accounts.scoping import people_in, units_for, visible_to
from sms.org.models import Unit


class DateInput(forms.DateInput):
    """dd/mm/yyyy text input (the format module parses it; browsers' date pickers vary)."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", **(attrs or {})}, format="%d/%m/%Y"
        )


class ScopedModelForm(forms.ModelForm):
    """A model form built for an actor: unit choices are where the actor may write this
    model, person choices the people of those units, other relations what the door shows.
    Models with ``school_from`` take their school from that relation, never from input."""

    def __init__(self, *args, actor, action="add", **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        model = self._meta.model
        units = units_for(actor, model, "change" if action == "change" else "add")
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                related = field.queryset.model
                if related is Unit:
                    field.queryset = units
                elif related is User:
                    field.queryset = people_in(units).order_by("sort_key")
                else:
                    field.queryset = visible_to(actor, field.queryset)
            if isinstance(field.widget, forms.DateInput):
                field.widget = DateInput()

    def clean(self):
        cleaned = super().clean()
        school_from = getattr(self._meta.model, "school_from", None)
        if school_from and cleaned.get(school_from) is not None:
            self.instance.school = cleaned[school_from].school
        return cleaned
