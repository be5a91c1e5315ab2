from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quiz", "0006_round_standings_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="round",
            name="standings_due_version",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="round",
            name="standings_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
