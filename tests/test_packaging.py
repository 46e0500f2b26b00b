"""The installed package (not the checkout) has every module and data file a user needs."""

import os
import subprocess
import sys

SCRIPT = """
import importlib, pkgutil
from importlib import resources
for top in ("sim", "cameras", "lookup", "agencies", "forensics", "scenarios"):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        importlib.import_module(info.name)
assert (resources.files("scenarios") / "builtin" / "bay-area.yaml").is_file()
assert (resources.files("scenarios") / "builtin" / "policies" / "ca-sb34.yaml").is_file()
assert (resources.files("cameras") / "data" / "misread_calibrated.json").is_file()
assert (resources.files("forensics") / "data" / "ca_agencies.csv").is_file()
assert (resources.files("forensics") / "data" / "federal_agencies.csv").is_file()
print("ok")
"""


def test_every_module_and_data_file_imports_from_outside_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
