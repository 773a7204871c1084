"""`indus-gpu-workers`: one solo-pool Celery worker per visible GPU, supervised together.

A solo pool runs one job at a time in the worker's own process, so a job owns its GPU and a
CUDA context is never forked. Each worker sees only its own GPU through CUDA_VISIBLE_DEVICES.
When any worker exits, the others are stopped and the launcher exits, so the container (or
systemd unit) restarts the whole set. It runs inside an installation of the `indus` platform.
"""
import argparse
import socket
import sys

from indus.core.processes import ChildSpec, supervise


def gpu_worker_specs(gpu_count: int, *, queue: str = "gpu", hostname: str | None = None) -> list[ChildSpec]:
    hostname = hostname or socket.gethostname()
    return [
        ChildSpec(
            name=f"gpu{index}",
            argv=[
                sys.executable, "-m", "celery", "-A", "indus.celery", "worker",
                "--queues", queue, "--pool", "solo", "--concurrency", "1",
                "--hostname", f"gpu{index}@{hostname}", "--loglevel", "INFO",
            ],
            env={"CUDA_VISIBLE_DEVICES": str(index)},
        )
        for index in range(gpu_count)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=None, help="how many workers (default: visible GPUs)")
    parser.add_argument("--queue", default="gpu")
    args = parser.parse_args(argv)
    if args.gpus is None:
        from indus_workers.devices import visible_gpu_count

        args.gpus = visible_gpu_count()
    if args.gpus < 1:
        parser.error("no GPU is visible; on a CPU machine run `celery -A indus.celery worker -Q gpu` instead")
    return supervise(gpu_worker_specs(args.gpus, queue=args.queue))


if __name__ == "__main__":
    sys.exit(main())
