"""Settings read from the environment, in a process of their own (settings load once)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.processes import ROOT, process_env


def test_image_sources_join_the_content_security_policy():
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    env = process_env(IMAGE_SOURCES="https://images.example.com, https://*.cloudfront.net")
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(output) == ["'self'", "data:", "https://images.example.com", "https://*.cloudfront.net"]
