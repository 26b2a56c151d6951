import pytest

from recoup.lib.env import ConfigError, envhexlist


def test_a_list_of_keys_is_read_lower_cased_and_a_bad_one_is_named(monkeypatch):
    good = "AB" * 32
    monkeypatch.setenv("RECOUP_TEST_KEYS", f" {good} , {'cd' * 32},")
    assert envhexlist("RECOUP_TEST_KEYS", length=64) == ["ab" * 32, "cd" * 32]
    monkeypatch.setenv("RECOUP_TEST_KEYS", f"{good},xyz")
    with pytest.raises(ConfigError, match="RECOUP_TEST_KEYS: 'xyz' is not 64 hex digits"):
        envhexlist("RECOUP_TEST_KEYS", length=64)
    monkeypatch.delenv("RECOUP_TEST_KEYS")
    assert envhexlist("RECOUP_TEST_KEYS", length=64) == []
