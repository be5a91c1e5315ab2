"""Field names editors read in their language, and the 26 benchmarks ordered by code (B01 to B26)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def benchmarks_by_code(apps, schema_editor):
    Tag = apps.get_model("questionbank", "Tag")
    benchmarks = sorted(Tag.objects.filter(kind="benchmark"), key=lambda t: t.code)
    for order, tag in enumerate(benchmarks):
        if tag.order != order:
            tag.order = order
            tag.save(update_fields=["order"])


class Migration(migrations.Migration):

    dependencies = [
        ('questionbank', '0007_revisions_keep_updated_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='question',
            name='author',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='question',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='question',
            name='translation_of',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='translations', to='questionbank.question', verbose_name='translation of'),
        ),
        migrations.AlterField(
            model_name='question',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated at'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='actor',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='at',
            field=models.DateTimeField(verbose_name='at'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='from_status',
            field=models.CharField(choices=[('draft', 'draft'), ('review', 'in review'), ('approved', 'approved'), ('retired', 'retired')], max_length=10, verbose_name='from status'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='question',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='transitions', to='questionbank.question', verbose_name='question'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='questiontransition',
            name='to_status',
            field=models.CharField(choices=[('draft', 'draft'), ('review', 'in review'), ('approved', 'approved'), ('retired', 'retired')], max_length=10, verbose_name='to status'),
        ),
        migrations.RunPython(benchmarks_by_code, migrations.RunPython.noop),
    ]
