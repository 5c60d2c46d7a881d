"""A benefit's description in English (issue 17 part 10): blank for a city's own item
until someone writes one (the pages then show the Chinese); 0009 fills the shipped items'."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0007_publish_rules_per_plan_and_person_tekun"),
    ]

    operations = [
        migrations.AddField(
            model_name="benefititem",
            name="description_en",
            field=models.TextField(blank=True, verbose_name="英文说明"),
        ),
    ]
