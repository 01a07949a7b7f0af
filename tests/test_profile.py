import pytest

import aecourse
from aecourse.profile import get_profile


def test_default_is_laptop(monkeypatch):
    monkeypatch.delenv("AECOURSE_PROFILE", raising=False)
    assert get_profile().name == "laptop"


def test_environment_selects_profile(monkeypatch):
    monkeypatch.setenv("AECOURSE_PROFILE", "Test ")
    profile = get_profile()
    assert profile.name == "test"
    assert profile.n_train < get_profile("laptop").n_train
    assert profile.pick(test=1, laptop=10, full=50) == 1


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("AECOURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match="test, laptop, full"):
        get_profile()


def test_setup_prints_profile_and_device(monkeypatch, capsys):
    monkeypatch.setenv("AECOURSE_PROFILE", "full")
    assert aecourse.setup().name == "full"
    out = capsys.readouterr().out
    assert "profile 'full'" in out and "device:" in out
