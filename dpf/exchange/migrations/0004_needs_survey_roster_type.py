"""The needs survey roster type (the national survey system's export) among a batch's
roster types (choices only; no change to the table)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0003_batch_rows_total_and_validation_run"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importbatch",
            name="roster_type",
            field=models.CharField(
                choices=[
                    ("dibao", "低保、特困、低保边缘家庭名单"),
                    ("pension", "基本养老保险参保名单"),
                    ("medical", "基本医疗保险参保名单"),
                    ("school", "学生在校名单"),
                    ("family_doctor", "家庭医生签约名单"),
                    ("death", "死亡人员名单"),
                    ("needs_survey", "残疾人基本服务状况和需求信息（动态更新）"),
                ],
                max_length=20,
                verbose_name="名单类型",
            ),
        ),
    ]
