"""Run every LayerLoom benchmark in turn (``make bench``).

Each script prints its own figures as ratios against a baseline measured in the same run, since
these machines are shared and noisy. The Keras comparison (``benchmarks/peer_keras/run.py``)
builds its own TensorFlow environment and takes long; it runs only with ``--keras``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["cli_start_bench.py", "validate_bench.py", "compile_bench.py", "ui_bench.py",
           "runtime_bench.py", "diagnostics_bench.py", "start_bench.py", "folder_data_bench.py",
           "import_coverage_bench.py", "ui_live_bench.py", "export_bench.py",
           "run_beside_editors_bench.py", "app_soak_bench.py", "edit_stress_bench.py",
           "design_upload_bench.py", "recurrent_packing_bench.py"]


def main(argv: list[str]) -> int:
    scripts = [HERE / s for s in SCRIPTS]
    if "--keras" in argv:
        scripts.append(HERE / "peer_keras" / "run.py")
    failed = []
    for script in scripts:
        print(f"\n=== {script.relative_to(HERE.parent)} ===", flush=True)
        if subprocess.run([sys.executable, str(script)]).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
