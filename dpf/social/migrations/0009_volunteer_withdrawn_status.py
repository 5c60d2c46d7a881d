"""Volunteers recorded as withdrawn before the status existed get the status ``withdrawn``
(every other registration so far was made by staff: ``approved``, the field's default)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Volunteer = apps.get_model("social", "Volunteer")
    Volunteer.objects.filter(withdrawn_on__isnull=False).update(status="withdrawn")


def backwards(apps, schema_editor):
    Volunteer = apps.get_model("social", "Volunteer")
    Volunteer.objects.filter(status="withdrawn").update(status="approved")


class Migration(migrations.Migration):
    dependencies = [("social", "0008_volunteer_self_registration")]

    operations = [migrations.RunPython(forwards, backwards)]
