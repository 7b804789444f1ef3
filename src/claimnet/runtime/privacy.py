"""Telemetry of claimnet's dependencies is off unless the user turns it on (``CLAIMNET_TELEMETRY=1``).

onnxruntime records usage events (a device id and an events store under the
user's cache folder) unless told not to; the Hugging Face libraries and MLflow
have their own switches. claimnet sends nothing itself. The switches are set
when the first onnxruntime session is built and by the entry points' set-up, so
the Python API gets them too; a value the user set is kept.
"""

from __future__ import annotations

import os
from functools import cache

OPT_IN = "CLAIMNET_TELEMETRY"
SWITCHES = {"ORT_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1"}


@cache
def telemetry_off() -> bool:
    """Switch every dependency's telemetry off (once); False when the user opted in."""
    if os.environ.get(OPT_IN) == "1":
        return False
    for name, value in SWITCHES.items():
        os.environ.setdefault(name, value)
    try:
        import onnxruntime

        onnxruntime.disable_telemetry_events()
    except (ImportError, AttributeError):
        pass
    return True
