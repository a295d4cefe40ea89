"""Fault and timing settings are checked when made: a bad value is one plain line naming the option."""

from __future__ import annotations

import pytest

from reconciler.emulator import EmulatorConfig, FaultConfig


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("error_rate=2", "fault option error_rate: a rate is a fraction of requests from 0 to 1, got 2"),
        ("reset_rate=-0.1", "fault option reset_rate: expected 0 or more, got -0.1"),
        (
            "error_rate=0.5,reset_rate=0.4,lost_rate=0.2",
            "fault options error_rate + reset_rate + lost_rate add up to 1.1; they share one roll per "
            "request, so their sum must be at most 1",
        ),
        ("latency_ms=-5", "fault option latency_ms: expected 0 or more, got -5"),
        ("jitter_ms=nan", "fault option jitter_ms: expected a number, got nan"),
        ("rpm=-1", "fault option rpm: expected 0 (no limit) or more, got -1"),
        ("only=assistant", "fault option only: unknown route group 'assistant' (known: assistants, files,"),
        ("seed=x", "fault option seed: expected a whole number, got 'x'"),
        ("latency_ms=fast", "fault option latency_ms: expected a number, got 'fast'"),
        ("latency_ms", "fault option latency_ms has no value (write latency_ms=VALUE)"),
        ("writes_only=ture", "fault option writes_only: expected true or false, got 'ture'"),
        ("seed=1,seed=2", "fault option seed is given twice"),
    ],
)
def test_a_bad_fault_string_is_one_plain_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        FaultConfig.parse(text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_faults_made_in_code_are_checked_too() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultConfig(error_rate=1.5)
    with pytest.raises(ValueError, match="only"):
        FaultConfig(only=("file",))


def test_rates_summing_to_exactly_one_are_fine() -> None:
    assert FaultConfig.parse("error_rate=0.5,reset_rate=0.3,lost_rate=0.2").active


def test_the_faults_in_force_read_back_as_a_fault_string() -> None:
    text = "seed=7,latency_ms=50,error_rate=0.05,rpm=600,only=files;threads,writes_only=true"
    faults = FaultConfig.parse(text)
    assert faults.describe() == text
    assert FaultConfig.parse(faults.describe()) == faults
    assert FaultConfig().describe() == "none"


def test_timings_must_be_seconds_of_zero_or_more() -> None:
    with pytest.raises(ValueError, match="ingestion_seconds must be a finite number of seconds >= 0"):
        EmulatorConfig(ingestion_seconds=-1)
    with pytest.raises(ValueError, match="run_expires_seconds must be a whole number >= 1"):
        EmulatorConfig(run_expires_seconds=0)


def test_every_timing_is_read_from_the_environment() -> None:
    config = EmulatorConfig.from_env(
        {
            "EMULATOR_INGESTION_SECONDS": "2",
            "EMULATOR_CONSISTENCY_LAG_SECONDS": "1.5",
            "EMULATOR_RUN_QUEUED_SECONDS": "3",
            "EMULATOR_RUN_IN_PROGRESS_SECONDS": "4",
            "EMULATOR_RUN_CANCEL_SECONDS": "5",
            "EMULATOR_RUN_EXPIRES_SECONDS": "60",
            "EMULATOR_EXTRA_MODELS": "ours-1, ours-2",
        }
    )
    assert (config.ingestion_seconds, config.consistency_lag_seconds) == (2.0, 1.5)
    assert (config.run_queued_seconds, config.run_in_progress_seconds, config.run_cancel_seconds) == (3, 4, 5)
    assert config.run_expires_seconds == 60
    assert config.extra_models == ("ours-1", "ours-2")


def test_a_bad_environment_value_names_its_variable() -> None:
    with pytest.raises(ValueError) as caught:
        EmulatorConfig.from_env({"EMULATOR_RUN_QUEUED_SECONDS": "soon"})
    assert str(caught.value) == "EMULATOR_RUN_QUEUED_SECONDS: expected a number of seconds, got 'soon'"
    with pytest.raises(ValueError) as caught:
        EmulatorConfig.from_env({"EMULATOR_FAULTS": "error_rate=2"})
    assert str(caught.value).startswith("EMULATOR_FAULTS: fault option error_rate")
