"""Setting up mail, through the real `newsmon` entry point: a test message that records nothing
and explains what went wrong, warnings for settings that silently write to the outbox, and a
clear word when the system keyring cannot hold the password."""

from __future__ import annotations

from monitor.smtp_sink import SmtpSink


def smtp_config(sink: SmtpSink, security: str = "none", extra: str = "") -> str:
    return (
        '[digest]\nrecipients = ["analyst@example.org", "desk@example.org"]\nsender = "bot@example.org"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "{security}"\ntimeout_seconds = 5\n{extra}'
    )


def test_test_message_goes_to_the_recipients_or_to_and_records_nothing(workspace) -> None:
    with SmtpSink() as sink:
        workspace.write_config(smtp_config(sink))
        result = workspace.run("digest", "--test")
        assert result.returncode == 0, result.stderr
        assert "test message sent to analyst@example.org" in result.stdout
        assert sink.wait_for(1) and sorted(sink.envelopes[0].rcpt_tos) == [
            "analyst@example.org",
            "desk@example.org",
        ]
        assert sink.messages[0]["Subject"] == "Hà Nội – Nga: newsmon test message"
        assert "Nothing was recorded" in sink.messages[0].get_body(preferencelist=("plain",)).get_content()
        other = workspace.run("digest", "--test", "--to", "me@example.org", check=True)
        assert "test message sent to me@example.org" in other.stdout
        assert sink.wait_for(2) and sink.envelopes[1].rcpt_tos == ["me@example.org"]
        # One recipient refused: said so, exit 1.
        sink.rcpt_replies["desk@example.org"] = "550 5.1.1 No such user"
        refused = workspace.run("digest", "--test")
        assert refused.returncode == 1
        assert "refused for desk@example.org (permanent)" in refused.stderr and "550" in refused.stderr
    assert not workspace.db_path.exists()  # not even a database was made


def test_test_message_explains_login_and_tls_failures(workspace) -> None:
    with SmtpSink(credentials={"bot": "right"}) as sink:
        workspace.write_config(smtp_config(sink, extra='user = "bot"\n'))
        wrong = workspace.run("digest", "--test", NEWSMON_SMTP_PASSWORD="pw-7731-not-it")
        assert wrong.returncode == 1 and "535" in wrong.stderr
        assert "Gmail and Outlook need an app password" in wrong.stderr and "pw-7731" not in wrong.stderr
        assert sink.messages == []
    with SmtpSink() as sink:
        workspace.write_config(smtp_config(sink, security="ssl"))
        ssl_on_plain = workspace.run("digest", "--test")
        assert ssl_on_plain.returncode == 1 and "port 465 is ssl, 587 is starttls" in ssl_on_plain.stderr
        workspace.write_config(smtp_config(sink, security="starttls"))
        no_starttls = workspace.run("digest", "--test")
        assert no_starttls.returncode == 1 and "port 465 is ssl, 587 is starttls" in no_starttls.stderr
        assert "Traceback" not in ssl_on_plain.stderr + no_starttls.stderr
        assert sink.messages == []


def test_silent_outbox_fallbacks_are_warned_about(workspace) -> None:
    workspace.write_config('[digest]\nrecipients = ["analyst@example.org"]\n[smtp]\nuser = "bot"\n')
    result = workspace.run("status", check=True)
    assert "digest.recipients is set but smtp.host is not" in result.stderr
    assert "smtp.user is set but smtp.host is not" in result.stderr
    assert f"digests are written to outbox {workspace.path / 'outbox'}, not mailed" in result.stdout
    test = workspace.run("digest", "--test")
    assert test.returncode == 1 and "no SMTP host configured" in test.stderr


def test_set_password_on_a_headless_host_points_to_the_environment(workspace) -> None:
    workspace.write_config(
        '[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\nuser = "bot"\n'
    )
    result = workspace.run(
        "set-password", input="secret-pw\nsecret-pw\n", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
    )
    assert result.returncode == 1
    assert "no usable system keyring" in result.stderr and "NEWSMON_SMTP_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr and "secret-pw" not in result.stdout + result.stderr
