"""`python -m indus_workers.training --spec S --events E --stop-file F --result R`

Runs one training from a spec file. Under torchrun every process runs this; only the main
process reports events and writes the result. Exit codes: 0 done, 2 the input was wrong (the
message is in the result file), 1 anything else.
"""
import argparse
import ctypes
import json
import os
import signal
import sys
import traceback
from pathlib import Path

from indus.plugins.contract import JobInputError
from indus_workers.events import JsonlRunEvents
from indus_workers.training.spec import TrainingSpec

PR_SET_PDEATHSIG = 1
_PARENT = os.getppid()


def die_with_the_torchrun_agent() -> None:
    """Under torchrun each rank is the agent's child, in a session of its own; only the agent is
    set to die with the worker (indus.training.process). Without this a rank of a killed worker
    could train on, and race the attempt that replaces it."""
    if "LOCAL_RANK" not in os.environ or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != _PARENT:  # the agent died before the request: no signal will come
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    die_with_the_torchrun_agent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--spec", "--events", "--stop-file", "--result"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv)
    spec = TrainingSpec.from_dict(json.loads(Path(args.spec).read_text()))
    events = JsonlRunEvents(args.events, args.stop_file)

    from transformers.utils import logging as transformers_logging

    from indus_workers.training.trainer import is_main_process, train

    transformers_logging.disable_progress_bar()  # progress goes to the events file instead

    try:
        outcome = {"ok": True, **train(spec, events)}
        code = 0
    except JobInputError as error:
        outcome, code = {"ok": False, "input_error": True, "error": str(error)}, 2
    except Exception as error:
        traceback.print_exc()
        outcome, code = {"ok": False, "input_error": False, "error": f"{type(error).__name__}: {error}"}, 1
    if is_main_process():
        partial = Path(args.result + ".partial")
        partial.write_text(json.dumps(outcome))
        partial.replace(args.result)
    return code


if __name__ == "__main__":
    sys.exit(main())
