from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0005_online_share_from_application_channels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="snapshot",
            name="status",
            field=models.CharField(
                choices=[
                    ("achieved", "已达成"),
                    ("on_track", "进度正常"),
                    ("at_risk", "存在风险"),
                    ("not_achieved", "未达成"),
                    ("no_data", "暂无数据"),
                    ("no_target", "未设目标"),
                ],
                max_length=15,
            ),
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="target",
            field=models.DecimalField(decimal_places=2, max_digits=14, null=True),
        ),
    ]
