"""The WSGI application a server imports."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_application_also_imports_the_urlconf_and_the_views():
    # In a fresh interpreter, as a gunicorn worker imports it while it boots: the first request
    # it serves then does not pay for importing every view.
    code = (
        "import json, sys\n"
        "before = 'config.urls' in sys.modules\n"
        "import config.wsgi\n"
        "print(json.dumps([before, [m in sys.modules for m in "
        "('config.urls', 'marketplace.views', 'marketplace.api.views')]]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [False, [True, True, True]]
