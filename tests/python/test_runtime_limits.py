"""The Python runtime enforces the plugin's limits itself: a looping plugin is stopped by its
deadline with a clear Python error (not a warehouse function burning credits until killed),
the process stays usable, and limits are named as Python callers spell them."""

import time

import pyarrow as pa
import pytest


def events(rows=10):
    ts = pa.array([1_709_287_200_000_000 + i for i in range(rows)], type=pa.timestamp("us"))
    ids = pa.array([f"id-{i}" for i in range(rows)])
    return pa.record_batch([ids, ts], names=["id", "ts"])


def test_a_looping_plugin_is_stopped_by_its_deadline(runtime, misbehave_wasm):
    plugin = runtime.Plugin(str(misbehave_wasm), options={"mode": "loop"}, timeout_secs=1.0)
    started = time.monotonic()
    with pytest.raises(RuntimeError) as error:
        plugin.transform(events())
    elapsed = time.monotonic() - started
    message = str(error.value)
    assert "exceeded its time limit of 1 s" in message and "timeout_secs" in message, message
    assert "--plugin" not in message, message
    # Not a speed assertion: only that the deadline, not something else, ended the call.
    assert elapsed < 60, elapsed
    # The process, and a well-behaved plugin in it, still work.
    ok = runtime.Plugin(str(misbehave_wasm), options={"mode": "ok"})
    (out,) = ok.transform(events(5))
    assert out.num_rows == 5


def test_a_plugin_over_its_memory_cap_names_memory_mib(runtime, misbehave_wasm):
    plugin = runtime.Plugin(str(misbehave_wasm), options={"mode": "oom"}, memory_mib=32)
    with pytest.raises(RuntimeError) as error:
        plugin.transform(events())
    message = str(error.value)
    assert "exceeded its memory limit of 32 MiB (memory_mib)" in message, message


@pytest.mark.parametrize("memory_mib", [0, 65_537, 2**44])
def test_out_of_range_memory_is_refused(runtime, misbehave_wasm, memory_mib):
    with pytest.raises((ValueError, OverflowError)) as error:
        runtime.Plugin(str(misbehave_wasm), memory_mib=memory_mib)
    assert "memory_mib" in str(error.value) or isinstance(error.value, OverflowError)


def test_a_trapped_instance_is_never_reused(runtime, misbehave_wasm):
    """Instances are kept between calls for speed; one that trapped must be dropped, so the
    next batch runs in a sound instance with the same result as before the trap."""
    plugin = runtime.Plugin(str(misbehave_wasm), options={"mode": "trap-on-id"})
    (before,) = plugin.transform(events(20))
    (again,) = plugin.transform(events(20))
    assert again.equals(before)
    poisoned = pa.record_batch(
        [pa.array(["id-0", "trap"]), pa.array([1_709_287_200_000_000] * 2, type=pa.timestamp("us"))],
        names=["id", "ts"],
    )
    with pytest.raises(RuntimeError) as error:
        plugin.transform(poisoned)
    assert "deliberate trap on the id `trap`" in str(error.value), str(error.value)
    (after,) = plugin.transform(events(20))
    assert after.equals(before)


def test_text_that_is_not_utf8_is_refused_before_the_plugin_runs(runtime, misbehave_wasm):
    """Plugins rely on the host's text being valid UTF-8: a batch built from raw buffers
    (which pyarrow does not check) is refused with the column named."""
    data = b"okay\xff\xfe"
    offsets = pa.array([0, 4, 6], type=pa.int32()).buffers()[1]
    bad = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(data)])
    ts = pa.array([1_709_287_200_000_000] * 2, type=pa.timestamp("us"))
    plugin = runtime.Plugin(str(misbehave_wasm), options={"mode": "ok"})
    with pytest.raises(RuntimeError) as error:
        plugin.transform(pa.record_batch([bad, ts], names=["id", "ts"]))
    message = str(error.value)
    assert "column id is not valid text" in message and "utf-8" in message.lower(), message
    # Cut inside a character: valid bytes, offsets off a boundary.
    split = pa.Array.from_buffers(
        pa.string(), 2,
        [None, pa.array([0, 1, 2], type=pa.int32()).buffers()[1], pa.py_buffer("é".encode())],
    )
    with pytest.raises(RuntimeError, match="column id is not valid text"):
        plugin.transform(pa.record_batch([split, ts], names=["id", "ts"]))
    (out,) = plugin.transform(events(3))
    assert out.num_rows == 3
