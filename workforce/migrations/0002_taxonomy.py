"""The starting expertise taxonomy. The vendor maintains it afterwards (admin: Expert pool)."""

from django.db import migrations

TAXONOMY = {
    "generalist": ("Generalist", {}),
    "medicine": (
        "Medicine",
        {"cardiology": "Cardiology", "oncology": "Oncology", "pharmacology": "Pharmacology", "general-practice": "General practice"},
    ),
    "law": ("Law", {"contracts": "Contracts", "privacy": "Privacy and data protection", "litigation": "Litigation"}),
    "finance": ("Finance", {"compliance": "Compliance", "accounting": "Accounting", "investment": "Investment"}),
    "software": ("Software", {"python": "Python", "javascript": "JavaScript", "security": "Security", "sql": "SQL"}),
    "science": ("Science", {"chemistry": "Chemistry", "physics": "Physics", "biology": "Biology", "mathematics": "Mathematics"}),
    "language": ("Language", {"translation": "Translation", "copywriting": "Copywriting", "localisation": "Localisation"}),
    "safety": ("Trust and safety", {"red-teaming": "Red teaming", "content-policy": "Content policy"}),
}


def seed(apps, schema_editor):
    ExpertiseArea = apps.get_model("workforce", "ExpertiseArea")
    for code, (name, children) in TAXONOMY.items():
        parent, _ = ExpertiseArea.objects.get_or_create(code=code, defaults={"name": name})
        for child, child_name in children.items():
            ExpertiseArea.objects.get_or_create(
                code=f"{code}/{child}", defaults={"name": child_name, "parent": parent}
            )


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
