"""What only a process of its own shows: Ctrl-C during a blocking wait, and a fork."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest


def test_ctrl_c_stops_a_blocking_wait_within_half_a_second():
    script = textwrap.dedent(
        """
        import signal, sys, time
        # Python leaves Ctrl-C alone when it starts with SIGINT ignored (a background job of a
        # non-interactive shell, as some CI runners start it): the test needs its usual handler.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from gpujobs.testing import sandbox
        with sandbox(pace="demo", empty=True) as sb:
            client = sb.client("ray")
            job = client.submit("sleep 100")
            print("waiting", flush=True)
            try:
                client.wait(job.id, timeout=60)
            except KeyboardInterrupt:
                print("interrupted", time.monotonic(), flush=True)
                sys.exit(0)
        sys.exit(1)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "waiting"
    time.sleep(0.5)
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    line = child.stdout.readline().split()
    assert child.wait(timeout=10) == 0
    assert line[0] == "interrupted"
    assert float(line[1]) - sent < 0.5, "heard Ctrl-C within half a second"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_gets_a_clear_error_not_a_hang():
    script = textwrap.dedent(
        """
        import os, sys
        from gpujobs.testing import sandbox
        with sandbox(empty=True) as sb:
            client = sb.client("ray")
            client.list().collect()
            pid = os.fork()
            if pid == 0:
                try:
                    client.list().collect()
                except RuntimeError as e:
                    os._exit(0 if "fork" in str(e) else 2)
                os._exit(3)
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status))
        """
    )
    assert subprocess.run([sys.executable, "-c", script], timeout=30).returncode == 0
