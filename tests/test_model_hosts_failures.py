"""Model hosts that fail (kit/tutor/model_hosts.py), on loopback: an HTML page, 429, a host
hanging mid-answer, one that dies mid-answer, garbage events. Each is taken out with a reason
the teacher can read, its question is answered by another helper, and it is asked again later.
The hosts are tests/misbehaving_host.py; "this computer" here is a well-behaved host of the
same kind, so these tests need no model (tests/test_model_hosts.py runs the real servers)."""
from __future__ import annotations

import pytest

from kit.settings import SettingsError, load_settings
from kit.tutor.engines.base import EngineError, HelperLost
from kit.tutor.engines.openai_compat import OpenAICompatEngine
from kit.tutor.model_hosts import BUSY_RETRY_S, RETRY_FIRST_S, HostPool
from tests.misbehaving_host import REPLY, MisbehavingHost

MESSAGES = [{"role": "user", "content": "What do worms do?"}]
LOCAL_REPLY = "This computer answers: worms make compost."


@pytest.fixture
def hosts():
    started = []

    def start(behaviour, **kwargs):
        host = MisbehavingHost(behaviour, **kwargs)
        started.append(host)
        return host
    yield start
    for host in started:
        host.stop()


class Pool:
    """A HostPool with a clock the test moves and the capacities it reported."""

    def __init__(self, make_settings, local_url: str, *urls: str):
        self.now, self.capacities = 1000.0, []
        settings = make_settings(model_hosts=tuple(urls), model_host_timeout_s=2)
        local = OpenAICompatEngine(local_url)
        local.available()
        self.pool = HostPool(local, settings.model_hosts, settings, on_capacity=self.capacities.append,
                             clock=lambda: self.now)

    def ask(self) -> tuple[str, bool, dict]:
        """(text, moved, stats) as the tutor gets them: a HelperLost starts again (answering.py)."""
        try:
            stream = self.pool.chat(MESSAGES)
            return stream.text(), False, stream.stats
        except HelperLost:
            stream = self.pool.chat(MESSAGES)
            return stream.text(), True, stream.stats

    def state(self, url: str) -> dict:
        return next(h for h in self.pool.helpers() if h["host"] == url)


@pytest.mark.parametrize("behaviour, reason, moved", [
    ("html", "not an OpenAI-compatible model server", False),
    ("busy", "HTTP 429", False),
    ("hang", "sent nothing for 2 s in the middle of the answer", True),
    ("die", "ended the answer without finishing it", True),
    ("garbage", "not a chat completion", False),
])
def test_a_failing_host_is_taken_out_and_its_question_answered_by_another(
        make_settings, hosts, behaviour, reason, moved):
    bad, local = hosts(behaviour), hosts("good", reply=LOCAL_REPLY)
    pool = Pool(make_settings, local.url, bad.url)
    text, was_moved, stats = pool.ask()
    assert text == LOCAL_REPLY and stats["helper"] == "this computer"
    assert was_moved is moved           # words already streamed: the tutor says it moves on
    state = pool.state(bad.url)
    assert state["state"] == "out" and reason in state["reason"], state
    expected_wait = BUSY_RETRY_S if behaviour == "busy" else RETRY_FIRST_S
    assert state["retry_in_s"] == expected_wait
    assert pool.capacities[-1] == 1     # only this computer until it is asked again
    assert pool.ask()[0] == LOCAL_REPLY and bad.asked <= 1     # not asked while out

    pool.now += expected_wait           # asked again later; now it answers well
    bad.behaviour = "good"
    text, _, stats = pool.ask()
    assert text == REPLY and stats["helper"] == bad.url
    assert pool.state(bad.url)["state"] == "up" and pool.capacities[-1] == 2
    assert pool.state(bad.url)["answers_a_minute"] == 1


def test_questions_go_to_the_free_hosts_first_then_this_computer(make_settings, hosts):
    first, second, local = hosts("good", reply="first"), hosts("good", reply="second"), hosts("good")
    pool = Pool(make_settings, local.url, first.url, second.url)
    streams = [pool.pool.chat(MESSAGES) for _ in range(3)]     # three answers at once
    assert [s.text() for s in streams] == ["first", "second", REPLY]
    assert [s.stats["helper"] for s in streams] == [first.url, second.url, "this computer"]
    assert pool.ask()[2]["helper"] == first.url                # free again


def test_every_host_down_and_this_computer_cannot_answer_says_so(make_settings, hosts):
    bad = hosts("html")
    pool = Pool(make_settings, "http://127.0.0.1:9", bad.url)
    with pytest.raises(EngineError, match="127.0.0.1:9"):
        pool.pool.chat(MESSAGES)
    assert pool.state(bad.url)["state"] == "out"


@pytest.mark.parametrize("value", ["ftp://192.168.1.30", "192.168.1.30:8000", "http://x/api/chat",
                                   "http://x:99999", "http://x?a=1"])
def test_a_model_host_that_is_not_an_http_url_is_refused_naming_the_setting(value):
    with pytest.raises(SettingsError, match=r"LANTERN_MODEL_HOSTS: .* is not a model host: give its address"):
        load_settings(environ={"LANTERN_MODEL_HOSTS": value})
    good = load_settings(environ={"LANTERN_MODEL_HOSTS": "http://a:8000, https://b:1/v1/"})
    assert good.model_hosts == ("http://a:8000", "https://b:1")


def test_kit_doctor_asks_each_model_host_and_says_what_it_is_or_why_not(tmp_path, hosts):
    from tests.test_cli import free_port, kit
    good, dead = hosts("good"), f"http://127.0.0.1:{free_port()}"
    result = kit("doctor", "--data", tmp_path, "--model-host", good.url, "--model-host", dead)
    assert result.returncode == 0, result.stderr
    assert f"{good.url}: up — openai API, model fake-model, 1 answer(s) at once" in result.stdout
    assert f"{dead}: cannot be used now: {dead} does not answer" in result.stdout
    refused = kit("doctor", "--data", tmp_path, "--model-host", "ftp://x")
    assert refused.returncode == 2 and "--model-host" in refused.stderr and "is not a model host" in refused.stderr
