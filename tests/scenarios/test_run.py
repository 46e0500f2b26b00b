import dataclasses
import json

import numpy as np

from scenarios.builder import build_world
from scenarios.cli import app
from scenarios.files import with_overrides
from scenarios.runner import run_world
from scenarios.spec import ExtraCamera
from sim.records import reads_sha256


def _camera_reads(records, camera_ids):
    """Reads of the named cameras as comparable tuples (camera id, time, plate, vehicle)."""
    ids = np.array(records.cameras.camera_id)
    keep = np.isin(ids[records.reads.camera], list(camera_ids))
    r = records.reads.take(keep)
    return sorted(zip(ids[r.camera], r.time_s.tolist(), r.plate.tolist(), r.vehicle.tolist(), strict=True))


def test_same_seed_gives_byte_identical_records(two_towns_spec, two_towns_records):
    again = run_world(build_world(two_towns_spec))
    assert again.records_sha256 == two_towns_records.records_sha256
    assert reads_sha256(again.reads) == two_towns_records.records_sha256


def test_a_different_seed_gives_different_records(two_towns_spec, two_towns_records):
    other = run_world(build_world(with_overrides(two_towns_spec, seed=8)))
    assert other.records_sha256 != two_towns_records.records_sha256


def test_adding_a_camera_leaves_every_other_cameras_reads_unchanged(two_towns_spec, two_towns_records):
    extra = ExtraCamera("alpha-added-1", "alpha-ca-pd", -122.0, 37.5, 90.0)
    spec = dataclasses.replace(two_towns_spec, cameras=dataclasses.replace(two_towns_spec.cameras, extra=(extra,)))
    more = run_world(build_world(spec))
    old_ids = set(two_towns_records.cameras.camera_id)
    assert _camera_reads(more, old_ids) == _camera_reads(two_towns_records, old_ids)
    assert len(more.reads) >= len(two_towns_records.reads)


def test_more_cameras_never_give_fewer_reads(two_towns_spec, two_towns_records):
    owners = tuple(dataclasses.replace(o, cameras=o.cameras + 3) for o in two_towns_spec.owners)
    more = run_world(build_world(dataclasses.replace(two_towns_spec, owners=owners)))
    assert len(more.reads) >= len(two_towns_records.reads)
    old_ids = set(two_towns_records.cameras.camera_id)
    assert old_ids <= set(more.cameras.camera_id)
    assert _camera_reads(more, old_ids) == _camera_reads(two_towns_records, old_ids)


def test_reads_are_what_the_cameras_really_saw(two_towns_records):
    r, v = two_towns_records.reads, two_towns_records.vehicles
    assert len(r) > 1000
    assert np.all(np.diff(r.time_s) >= -2 * 3600)  # batches in time order
    warmup_s = two_towns_records.warmup_days * 86_400
    assert -warmup_s <= r.time_s.min() < -warmup_s + 86_400 and r.time_s.max() < two_towns_records.days * 86_400
    correct = r.plate == v.plate[r.vehicle]
    assert 0.80 < correct.mean() < 0.97  # misreads exist, most reads are right
    assert np.array_equal(r.owner, two_towns_records.cameras.owner[r.camera])


def test_calibration_lands_near_each_owners_target(two_towns_world, two_towns_records):
    measured = two_towns_records.reads.camera[two_towns_records.measured()]
    per_camera = np.bincount(measured, minlength=len(two_towns_records.cameras)) / 2
    for o, owner in enumerate(two_towns_world.spec.owners):
        median = np.median(per_camera[two_towns_records.cameras.owner == o])
        assert 0.4 * owner.reads_per_camera_per_day < median < 2.0 * owner.reads_per_camera_per_day


def test_run_command_writes_the_report_and_reads(tmp_path):
    from typer.testing import CliRunner

    from tests.conftest import FIXTURES

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "1", "--seed", "3",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["scenario"] == "two-towns" and report["seed"] == 3 and report["days"] == 1
    assert len(report["records_sha256"]) == 64
    reads = report["reads"]
    assert reads["total"] == sum(reads["by_owner"].values()) > 0
    assert reads["cameras"] == 20
    assert set(reads["per_camera_per_day"]) == {"median", "p10", "p90"}
    assert 0 < reads["misread_rate"] < 0.3
    import pyarrow.parquet as pq

    table = pq.read_table(out / "reads.parquet")
    assert table.num_rows == reads["total"] + reads["warmup_reads"]  # warm-up reads too: time_s < 0
    text = table.column("plate_text").to_pylist()[:5]
    assert all(4 <= len(t) <= 8 for t in text)
    assert "two-towns" in (out / "report.md").read_text()


def test_run_command_refuses_a_bad_days_value(tmp_path):
    from typer.testing import CliRunner

    from tests.conftest import FIXTURES

    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "-1", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--days" in result.output


def test_image_camera_mode_reads_every_pass_from_rendered_plates_and_writes_a_gallery(tmp_path):
    from typer.testing import CliRunner

    from tests.conftest import FIXTURES

    out = tmp_path / "img"
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "0.1", "--camera-mode", "image",
                                      "--reads-format", "none", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["gallery"] == "gallery/index.md" and report["reads"]["total"] > 0
    index = (out / "gallery" / "index.md").read_text()
    assert index.count("crop-") >= 2 and (out / "gallery" / "crop-0001.png").exists()


def test_a_run_failing_after_the_traffic_leaves_no_reads_file_behind(tmp_path, monkeypatch):
    """reads.parquet is written on its own thread as soon as the traffic is done; when the
    run then fails, the command waits for that thread and removes its temporary file."""
    from typer.testing import CliRunner

    import scenarios.cli as cli
    from tests.conftest import FIXTURES

    started = []
    original = cli.BackgroundReads.start

    def start(self, records):
        started.append(self.path)
        original(self, records)

    def broken_write(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.BackgroundReads, "start", start)
    monkeypatch.setattr(cli, "write_outputs", broken_write)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(FIXTURES / "two-towns.yaml"), "--days", "1", "--seed", "3",
                                      "--out", str(out)])
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert len(started) == 1  # the file was being written when the run failed
    assert not out.exists() or not any(out.iterdir())
