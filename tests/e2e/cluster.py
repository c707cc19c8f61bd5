"""The loopback cluster (deploy/local/cluster.sh) as a test fixture: mail, push, two edges.

Each cluster gets its own PostgreSQL database, Redis key prefix, Kafka topic and consumer group,
and a private Redis server (so a test can stop it without touching anything else); ports are
chosen by the OS and read back from cluster.env.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from conftest import Server

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local" / "cluster.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Edge:
    """One edge replica, shaped like conftest.Server so the one-process tests run against it."""

    def __init__(self, cluster: "Cluster", name: str):
        self.cluster = cluster
        self.name = name
        self.eas_url = cluster.env[f"EDGE_{name.upper()}_URL"]
        self.admin_url = cluster.env[f"ADMIN_{name.upper()}_URL"]
        self.host_port = self.eas_url.split("//", 1)[1].split("/", 1)[0]
        self.token = cluster.env["ADMIN_TOKEN"]
        self.lmtp = cluster.lmtp

    @property
    def pid(self) -> int:
        return int(self.cluster.env[f"EDGE_{self.name.upper()}_PID"])

    # The same LMTP delivery and admin calls as the one-process server's.
    deliver = Server.deliver
    admin = Server.admin


class Cluster:
    def __init__(self, edge_env: str = "", private_kafka: bool = False, redis_aof: bool = False):
        """`redis_aof`: the private Redis keeps an append-only file synced on every write (as
        docs/deploy.md asks for production), so that a test can restart it."""
        tag = uuid.uuid4().hex[:8]
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="eas-cluster-"))
        self.kafka: subprocess.Popen | None = None
        kafka = None
        if private_kafka:
            # A broker of its own, so that a test can stop it (tansu, in memory).
            port = free_port()
            self.kafka = subprocess.Popen(
                ["tansu", "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
                 "--advertised-listener-url", f"tcp://127.0.0.1:{port}",
                 "--storage-engine", "memory://tansu/"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            self._wait_port(port, timeout=30)
            kafka = f"127.0.0.1:{port}"
        self.redis_port = free_port()
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if redis_aof else ["--appendonly", "no"]
        self.redis_args = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                           "--save", "", *persistence, "--dir", str(self.dir)]
        self.redis = subprocess.Popen(self.redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_port(self.redis_port)
        self.db = f"eas_test_{tag}"
        self.script_env = dict(os.environ)
        self.script_env.update({
            "EAS_CLUSTER_DIR": str(self.dir),
            "EAS_CLUSTER_DB": self.db,
            "EAS_CLUSTER_PREFIX": f"t{tag}:",
            "EAS_CLUSTER_TOPIC": f"eas.test.{tag}",
            "EAS_CLUSTER_PORTS": "0 0 0 0 0 0",
            "EAS_CLUSTER_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}",
            "EAS_CLUSTER_EDGE_ENV": edge_env,
        })
        if kafka:
            self.script_env["EAS_CLUSTER_KAFKA"] = kafka
        self.env: dict[str, str] = {}
        try:
            self._script("start")
        except Exception:
            self.stop()
            raise
        for line in (self.dir / "cluster.env").read_text().splitlines():
            key, _, value = line.partition("=")
            self.env[key] = value
        host, port = self.env["LMTP"].rsplit(":", 1)
        self.lmtp = (host, int(port))

    @staticmethod
    def _wait_port(port: int, timeout: float = 10) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")

    def _script(self, command: str) -> None:
        run = subprocess.run([str(SCRIPT), command], env=self.script_env, capture_output=True,
                             text=True, timeout=900)
        if run.returncode != 0:
            logs = ""
            for log in sorted(self.dir.glob("*.log")):
                logs += f"\n--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-30:])
            raise RuntimeError(f"cluster.sh {command} failed:\n{run.stdout}\n{run.stderr}{logs}")

    def edge(self, name: str) -> Edge:
        return Edge(self, name)

    deliver = Server.deliver

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to one process of the cluster (`EDGE_A`, `PUSH`, `MAIL`, ...)."""
        os.kill(int(self.env[f"{name}_PID"]), sig)

    def wait_exit(self, name: str, timeout: float = 15) -> None:
        pid = int(self.env[f"{name}_PID"])
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{name} (pid {pid}) still runs")

    def stop_kafka(self) -> None:
        assert self.kafka is not None, "only a cluster with a private broker can stop it"
        self.kafka.kill()
        self.kafka.wait(timeout=10)

    def stop_redis(self) -> None:
        self.redis.terminate()
        self.redis.wait(timeout=10)

    def crash_and_restart_redis(self) -> None:
        """SIGKILL to the private Redis, then a new one on the same port and directory."""
        self.redis.kill()
        self.redis.wait(timeout=10)
        self.redis = subprocess.Popen(self.redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_port(self.redis_port)

    def restart_push(self) -> None:
        """SIGTERM to the push service and a new one in the same consumer group; returns once
        the new one is ready (a member of the group). The old log stays as push.previous.log."""
        self._script("restart-push")
        for line in (self.dir / "cluster.env").read_text().splitlines():
            key, _, value = line.partition("=")
            self.env[key] = value

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text()

    def stop(self) -> None:
        try:
            if self.env or (self.dir / "cluster.env").exists():
                self._script("stop")
        finally:
            for proc in (self.redis, self.kafka):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=10)
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'],
                           capture_output=True)
            shutil.rmtree(self.dir, ignore_errors=True)
