"""The GPU launcher: one solo-pool worker per GPU, each seeing only its own device."""
import pytest

from indus_workers.gpu_workers import gpu_worker_specs, main


def test_one_solo_worker_per_gpu_each_with_its_own_device():
    specs = gpu_worker_specs(3, hostname="node1")
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in specs] == ["0", "1", "2"]
    for index, spec in enumerate(specs):
        argv = " ".join(spec.argv)
        assert "--pool solo --concurrency 1" in argv
        assert "--queues gpu" in argv
        assert f"--hostname gpu{index}@node1" in argv


def test_refuses_to_start_without_a_gpu(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--gpus", "0"])
    assert exit_.value.code == 2
    assert "no GPU is visible" in capsys.readouterr().err
