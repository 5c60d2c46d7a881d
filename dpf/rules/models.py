"""The facts in force on one date, as a table (``dpf.rules.materialise``).

Not a table of the schema: ``facts_in_force`` creates it as a TEMPORARY table of the
connection for the length of one job and drops it; the model only lets the ORM (and the
rule compiler) read it. Columns hold each fact's catalogue default where a person has no
row in force. Columns for ``insured(…)``/``receiving(…)`` are added per job and read as
raw columns by ``FactsCompiler``.
"""

from __future__ import annotations

from django.db import models


class FactsInForce(models.Model):
    id = models.BigIntegerField(primary_key=True)  # the person's id
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    household_id = models.BigIntegerField(null=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1)
    death_date = models.DateField(null=True)
    cert_level = models.IntegerField()
    cert_category = models.IntegerField()
    household_status = models.CharField(max_length=20)
    residence_village = models.CharField(max_length=12)
    survey_rehab_need = models.BooleanField()
    survey_device_need = models.CharField(max_length=20)
    survey_home_renovation_need = models.BooleanField()
    survey_care_need = models.BooleanField()
    survey_employment_status = models.CharField(max_length=20)
    survey_employment_wish = models.BooleanField()
    survey_school_status = models.CharField(max_length=20)
    survey_income_per_capita = models.DecimalField(max_digits=12, decimal_places=2)
    survey_long_term_care_need = models.BooleanField()
    in_school = models.BooleanField()
    in_destitute_care = models.BooleanField()  # the person's own 特困 status

    class Meta:
        managed = False
        db_table = "rules_facts_in_force"

    def __str__(self) -> str:
        return str(self.id)
