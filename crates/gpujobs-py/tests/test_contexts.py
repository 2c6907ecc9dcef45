"""Contexts and refreshing tokens from Python: the CLI's config file used by
`Client.from_context`, and a callable token asked again as its JWT expires."""

import os
import time

import pytest

import gpujobs


def context_file(tmp_path, sb, extra=""):
    path = tmp_path / "config.toml"
    path.write_text(
        'current-context = "lab"\n'
        "[contexts.lab]\n"
        'provider = "slurm"\n'
        f'base_url = "{sb.url("slurm")}"\n'
        f'credential = "{sb.token("slurm")}"\n'
        'settings = { user = "sandbox" }\n'
        f"{extra}"
    )
    os.chmod(path, 0o600)
    return path


def test_the_cli_config_file_from_python(sb, tmp_path, monkeypatch):
    for name in ("SLURMRESTD_URL", "SLURM_JWT", "SLURM_USER_NAME", "GPUJOBS_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    job = sb.client("slurm").submit("true", working_dir="/tmp")
    path = context_file(tmp_path, sb)
    client = gpujobs.Client.from_context(config=path)
    assert client.provider == "slurm" and client.get(job.id).id == job.id
    monkeypatch.setenv("GPUJOBS_CONFIG", str(path))
    assert gpujobs.Client.from_context("lab").get(job.id).id == job.id
    assert gpujobs.AsyncClient.from_context().provider == "slurm"
    with pytest.raises(ValueError, match="no context `nope` \\(there are: lab\\)"):
        gpujobs.Client.from_context("nope")
    # Settings given beat the context, as flags do.
    with pytest.raises(gpujobs.errors.GpujobsError):
        gpujobs.Client.from_context(base_url="http://127.0.0.1:9", max_attempts=1).get(job.id)


def test_a_malformed_file_names_its_line_and_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[contexts.lab]\nprovider = "slurm"\nsecret = "sk-canary"\n')
    with pytest.raises(ValueError) as raised:
        gpujobs.Client.from_context("lab", config=path)
    assert f"{path}:3: `secret`" in str(raised.value) and "sk-canary" not in str(raised.value)


def test_a_callable_token_is_asked_again_as_its_jwt_expires(sb):
    calls = []

    def token():
        calls.append(time.monotonic())
        return sb.issue_token("slurm", 2)

    client = gpujobs.Client("slurm", base_url=sb.url("slurm"), user="sandbox", token=token)
    client.list().collect()
    client.list().collect()
    assert len(calls) == 1, "kept while it is fresh"
    time.sleep(1.7)  # past ¾ of its 2 s
    client.list().collect()
    assert len(calls) == 2

    def failing():
        raise RuntimeError("sk-canary")

    with pytest.raises(gpujobs.errors.GpujobsError) as raised:
        gpujobs.Client("slurm", base_url=sb.url("slurm"), user="sandbox", token=failing).list().collect()
    assert "the token callable raised RuntimeError" in str(raised.value)
    assert "sk-canary" not in str(raised.value)
