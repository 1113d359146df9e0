from django import forms

from sms.forms import ScopedModelForm

from .models import Job
from .registry import kinds_for


class JobForm(ScopedModelForm):
    """Pick one of the job kinds the actor's role may run."""

    kind = forms.ChoiceField(label="Loại tác vụ", choices=())

    class Meta:
        model = Job
        fields = ["kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.kind, k.title) for k in kinds_for(self.actor)]
        self.fields["kind"].error_messages["invalid_choice"] = "Loại tác vụ này không có hoặc bạn không được chạy."
