# Joins the two exchanges migrations made in parallel (introductions on the h-queue
# branch, shared costs on h-impact); neither changes what the other touches.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("exchanges", "0004_introductions"),
        ("exchanges", "0005_shared_costs"),
    ]

    operations = []
