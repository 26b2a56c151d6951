import pytest

from recoup.lib.env import ConfigError
from recoup.lib.mailurl import parse_email_url


def test_smtp_with_tls_credentials_and_port():
    config = parse_email_url("smtp://ar%40acme.example:s3cret@mail.acme.example:587?tls=1")
    assert (config.backend, config.host, config.port, config.user, config.password, config.use_tls) == (
        "django.core.mail.backends.smtp.EmailBackend", "mail.acme.example", 587, "ar@acme.example", "s3cret", True)


def test_smtps_defaults_to_port_465_with_ssl():
    config = parse_email_url("smtps://mail.acme.example")
    assert (config.port, config.use_ssl, config.use_tls) == (465, True, False)


def test_file_writes_to_the_given_folder_or_leaves_the_default_to_settings():
    assert parse_email_url("file:///srv/recoup/mail").file_path == "/srv/recoup/mail"
    config = parse_email_url("file://")
    assert (config.backend, config.file_path) == ("django.core.mail.backends.filebased.EmailBackend", "")


@pytest.mark.parametrize("url, message", [("ftp://x", "scheme 'ftp' is not one of"), ("smtp://h:99999", "bad port")])
def test_it_refuses_unknown_schemes_and_bad_ports(url, message):
    with pytest.raises(ConfigError, match=message):
        parse_email_url(url)
