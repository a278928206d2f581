"""A real PostgreSQL gradebook (Debian's server, started here in a temporary data directory on a
local socket), used through --db-url: the full round trip, a re-grade that keeps a manual score,
two graders on different machines (two course folders) grading disjoint students at once, and a
gradebook fault mid-submission that must roll the whole submission back."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from homework.courses import CLI, autograde, course, expected_score, gradebook_fault_mid_submission, report, submit

pytestmark = [pytest.mark.xdist_group("homework"), pytest.mark.sandbox]


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server of our own: its data and socket in a fresh folder, no TCP listener."""
    import psycopg

    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        pytest.skip("needs Debian's postgresql (scripts/setup install)")  # named by `make test` as missing
    base = Path(tempfile.mkdtemp(prefix="autograde-pg-"))
    base.chmod(0o755)  # the server runs as the postgres user, who must reach the folders below
    data, sock = base / "data", base / "sock"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    for folder in (data, sock):
        folder.mkdir(mode=0o700)
        if as_postgres:
            shutil.chown(folder, "postgres")
    subprocess.run([*as_postgres, initdb[-1], "-D", str(data), "-A", "trust", "-U", "grader", "--no-sync"],
                   check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*as_postgres, str(Path(initdb[-1]).parent / "postgres"), "-D", str(data), "-k", str(sock),
                             "-p", str(port), "-c", "listen_addresses=", "-c", "fsync=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                connection = psycopg.connect(host=str(sock), port=port, user="grader", dbname="postgres", autocommit=True)
                break
            except psycopg.OperationalError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the PostgreSQL server did not start")
        with connection:
            for name in ("roundtrip", "shared", "fault"):
                connection.execute(f"CREATE DATABASE {name}")
        yield lambda db: f"postgresql://grader@/{db}?host={sock}&port={port}"  # no driver: the grader adds psycopg
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_the_round_trip_a_regrade_and_a_manual_score_on_postgresql(server, tmp_path):
    from nbgrader.api import Gradebook

    url = server("roundtrip")
    c = course(tmp_path / "course", "--db-url", url)
    assert not (c / "gradebook.db").exists()  # everything went to PostgreSQL
    submit(c, "ada", "correct")
    submit(c, "bob", "rprop_no_backtracking")
    autograde(c, "--db-url", url, "--jobs", "2")
    with Gradebook(url.replace("postgresql://", "postgresql+psycopg://")) as gb:
        assert gb.find_submission("optimizers", "ada").score == expected_score("correct") == 32
        assert gb.find_submission("optimizers", "bob").score == expected_score("rprop_no_backtracking") == 28
        gb.find_grade("rprop_backtracking", "optimizers", "optimizers", "bob").manual_score = 3.0
        gb.db.commit()
    submit(c, "ada", "nesterov_lr_twice")  # a resubmission
    out = autograde(c, "--db-url", url, "--jobs", "2", "--feedback")
    assert "1 to grade" in out
    assert report(c)["ada"]["score"] == "30" and report(c)["bob"]["score"] == "31"  # the manual score is kept
    page = (c / "feedback" / "bob" / "optimizers" / "optimizers.html").read_text()
    assert "Score: 31.0 / 32.0" in page


def test_two_machines_grade_disjoint_students_into_one_postgresql_gradebook_at_once(server, tmp_path):
    from nbgrader.api import Gradebook

    url = server("shared")
    kinds = {"a": ["correct", "nesterov_lr_twice", "rprop_swapped_etas"],
             "b": ["correct", "quickprop_slides_sign", "rprop_no_backtracking"]}
    machines = {m: course(tmp_path / m, "--db-url", url) for m in kinds}  # a course folder each, one gradebook
    for m, ks in kinds.items():
        for i, kind in enumerate(ks):
            submit(machines[m], f"{m}{i}", kind)
    runs = {m: subprocess.Popen([str(CLI), str(folder), "--db-url", url, "--jobs", "1"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for m, folder in machines.items()}
    outs = {m: run.communicate(timeout=600) for m, run in runs.items()}
    assert all(run.returncode == 0 for run in runs.values()), outs
    with Gradebook(url.replace("postgresql://", "postgresql+psycopg://")) as gb:
        assert sorted(s.id for s in gb.students) == sorted(f"{m}{i}" for m in kinds for i in range(3))
        for m, ks in kinds.items():
            for i, kind in enumerate(ks):
                assert gb.find_submission("optimizers", f"{m}{i}").score == expected_score(kind), (m, kind)


def test_a_gradebook_fault_mid_submission_rolls_it_back_whole_on_postgresql(server, tmp_path):
    import psycopg

    url = server("fault")
    where = course(tmp_path / "course", "--db-url", url)

    def sql(statement):
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(statement)

    gradebook_fault_mid_submission(
        where, url.replace("postgresql://", "postgresql+psycopg://"),
        lambda: sql("CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$; "
                    "CREATE TRIGGER fault BEFORE UPDATE OF auto_comment ON comment FOR EACH ROW EXECUTE FUNCTION fault()"),
        lambda: sql("DROP TRIGGER fault ON comment"), "--db-url", url)
