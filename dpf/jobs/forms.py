"""The schedule form: the time is checked by the service (one message, zh and en)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ScheduleForm(forms.Form):
    time_of_day = forms.CharField(label=_("运行时间（时:分）"), max_length=5)
    day_of_month = forms.IntegerField(label=_("每月几日"), required=False)
    enabled = forms.BooleanField(label=_("启用"), required=False)
