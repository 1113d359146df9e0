"""FilterSets of the evaluation and in-service training lists, shared by HTML and API."""

from __future__ import annotations

import django_filters

from sms.org.filters import SchoolFilterMixin, _visible
from sms.org.models import SchoolYear

from .models import Evaluation, EvaluationStage, Rating, TrainingPlan


class EvaluationFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))
    stage = django_filters.ChoiceFilter(label="Bước", choices=EvaluationStage.choices)
    final_level = django_filters.ChoiceFilter(label="Xếp loại", choices=Rating.choices)

    class Meta:
        model = Evaluation
        fields = ["school", "school_year", "stage", "final_level"]


class TrainingFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))

    class Meta:
        model = TrainingPlan
        fields = ["school", "school_year"]
