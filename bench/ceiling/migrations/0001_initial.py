from datetime import UTC, datetime

from django.db import migrations, models


def add_rows(apps, schema_editor):
    Item = apps.get_model("ceiling", "Item")
    Item.objects.bulk_create(
        Item(
            title=f"Item {n}",
            summary=f"Greet every guest within ten seconds, with eye contact and a smile ({n}).",
            position=n,
            updated_at=datetime(2026, 1 + n % 12, 1 + n % 28, tzinfo=UTC),
        )
        for n in range(1, 41)
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("summary", models.TextField()),
                ("position", models.PositiveIntegerField()),
                ("updated_at", models.DateTimeField()),
            ],
            options={"ordering": ["position", "id"]},
        ),
        migrations.RunPython(add_rows, migrations.RunPython.noop),
    ]
