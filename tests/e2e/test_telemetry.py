"""End-to-end: OpenTelemetry traces exported over OTLP to a receiver in the test (otlp.py).

The one-process server: one Sync is one trace from the edge's HTTP span into the mail service's
gRPC spans, and one LMTP delivery is one trace from the delivery to the wake-up of a held Ping.
The loopback cluster: one LMTP delivery is one trace from the mail service through Kafka and
the push service to the edge that wakes the Ping (docs/observability.md, "Traces")."""
from __future__ import annotations

import concurrent.futures
import contextlib
import os
import time
import uuid

import pytest

from conftest import start_server, stop_server
from otlp import Receiver, ancestors
from test_mail_sync import client, inbox, message, sync_all

USER = "jdoe@example.loc"
# Export every 100 ms (the default batch delay is 5 s) so that the tests wait less.
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "100"}


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def traced_server(receiver):
    # OTLP over gRPC, the default when no protocol is named.
    s = start_server({
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "",
        "OTEL_SERVICE_NAME": "",
        "OTEL_RESOURCE_ATTRIBUTES": "",
        "EAS_EDGE__PING__MIN_HEARTBEAT_SECONDS": "1",
        **FAST_EXPORT,
    })
    yield s
    stop_server(s)


def new_spans(receiver: Receiver, before: set[str]):
    return [s for s in receiver.spans() if s.span_id not in before]


def test_one_sync_is_one_trace_from_the_edge_into_the_mail_service(traced_server, receiver):
    with client(traced_server) as c:
        start = {s.span_id for s in receiver.spans()}
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        traced_server.deliver("a@outside.test", [USER], message(f"traced {uuid.uuid4().hex[:8]}"))
        # The spans of the requests so far are exported in batches: wait for the first Sync's.
        receiver.wait_for(lambda spans: [s for s in spans if s.span_id not in start
                                         and s.attributes.get("eas.command") == "Sync"],
                          what="the first Sync's span")
        before = {s.span_id for s in receiver.spans()}
        r = c.sync_folder(folder, key)
        assert r.added, "the Sync brings the delivered message"

    def the_sync(spans):
        syncs = [s for s in spans if s.span_id not in before and s.kind == "server"
                 and s.attributes.get("eas.command") == "Sync"]
        if len(syncs) != 1:
            return None
        trace = [s for s in spans if s.trace_id == syncs[0].trace_id]
        # The mail service's spans end before the edge's answer, and the batch that carries
        # the HTTP span may come last: wait until the trace has its gRPC server spans too.
        if not any(s.attributes.get("rpc.system") == "grpc" and s.kind == "server" for s in trace):
            return None
        return syncs[0], trace

    http, trace = receiver.wait_for(the_sync, what="Sync trace")
    assert http.name == "POST /Microsoft-Server-ActiveSync"
    assert http.parent_id == "", "the phone's request starts the trace"
    assert http.service == "eas-server"
    assert http.attributes["http.request.method"] == "POST"
    assert http.attributes["url.path"] == "/Microsoft-Server-ActiveSync"
    assert http.attributes["http.route"] == "/Microsoft-Server-ActiveSync"
    assert http.attributes["http.response.status_code"] == 200

    # Every other span of the trace descends from the HTTP span: one trace, edge → mail.
    for s in trace:
        if s is not http:
            assert http in ancestors(s, trace), f"{s.name} ({s.kind}) is not under the Sync"
    clients = [s for s in trace if s.kind == "client" and s.attributes.get("rpc.system") == "grpc"]
    servers = [s for s in trace if s.kind == "server" and s.attributes.get("rpc.system") == "grpc"]
    assert clients and servers
    for server in servers:
        parent = ancestors(server, trace)[0]
        assert parent.kind == "client" and parent.name == server.name
        service, _, method = server.name.partition("/")
        assert server.attributes["rpc.service"] == service
        assert server.attributes["rpc.method"] == method
        assert service.startswith("eas.") and method
    assert any(s.name.startswith("eas.collections.v1.Collections/") for s in servers) or \
        any(s.name.startswith("eas.mail.v1.Mail/") for s in servers)

    # Another request is another trace.
    other = [s for s in new_spans(receiver, before) if s.kind == "server"
             and s.attributes.get("http.route") and s is not http]
    assert all(s.trace_id != http.trace_id for s in other)


def test_one_lmtp_delivery_is_one_trace_to_the_wake_of_the_held_ping(traced_server, receiver):
    with client(traced_server) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        sync_all(c, folder, key)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(c.ping, [folder], heartbeat=120, timeout=150)
            time.sleep(0.5)
            assert not held.done(), "the ping must be held while nothing changes"
            before = {s.span_id for s in receiver.spans()}
            assert traced_server.deliver("a@outside.test", [USER], message("wake me")) == {}
            result = held.result(timeout=30)
    assert result.status == "2"

    def the_delivery(spans):
        fresh = [s for s in spans if s.span_id not in before]
        for wake in (s for s in fresh if s.name == "wake held requests"):
            trace = [s for s in spans if s.trace_id == wake.trace_id]
            chain = ancestors(wake, trace)
            if chain and chain[-1].name == "LMTP DATA" and wake.attributes.get("eas.woken", 0) >= 1:
                return chain[-1], wake, trace
        return None

    lmtp, wake, trace = receiver.wait_for(the_delivery, what="delivery trace")
    assert lmtp.parent_id == "" and lmtp.kind == "server"
    assert lmtp.attributes["network.protocol.name"] == "lmtp"
    assert wake.kind == "consumer"
    assert lmtp in ancestors(wake, trace)


def test_otlp_over_http_and_the_standard_resource_variables(receiver):
    s = start_server({
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": "eas-over-http",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=e2e,k8s.pod.name=pod-1",
        **FAST_EXPORT,
    })
    try:
        with client(s) as c:
            inbox(c)
        spans = receiver.wait_for(
            lambda all_: [x for x in all_ if x.service == "eas-over-http"
                          and x.attributes.get("eas.command") == "FolderSync"],
            what="FolderSync span over OTLP/HTTP")
    finally:
        stop_server(s)
    assert spans[0].resource["deployment.environment.name"] == "e2e"
    assert spans[0].resource["k8s.pod.name"] == "pod-1"


# ---------------------------------------------------------------------------------------------
# The loopback cluster: mail → Kafka → push → edge.

@contextlib.contextmanager
def environment(values: dict[str, str]):
    """The cluster script passes the test's environment to every service it starts."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def traced_cluster(receiver):
    from cluster import Cluster

    with environment({
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpc_endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_SERVICE_NAME": "",
        "OTEL_RESOURCE_ATTRIBUTES": "",
        **FAST_EXPORT,
    }):
        c = Cluster(edge_env="EAS_EDGE_EDGE__PING__MIN_HEARTBEAT_SECONDS=1")
    yield c
    c.stop()


def test_one_lmtp_delivery_in_the_cluster_is_one_trace_through_kafka_and_push_to_the_edge(
        traced_cluster, receiver):
    edge = traced_cluster.edge("a")
    with client(edge) as c:
        folder = inbox(c)
        key = c.sync_folder(folder, "0").sync_key
        sync_all(c, folder, key)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            held = pool.submit(c.ping, [folder], heartbeat=120, timeout=150)
            time.sleep(1.0)
            assert not held.done(), "the ping must be held while nothing changes"
            before = {s.span_id for s in receiver.spans()}
            assert traced_cluster.deliver("a@outside.test", [USER], message("through kafka")) == {}
            result = held.result(timeout=60)
    assert result.status == "2"

    def the_delivery(spans):
        fresh = [s for s in spans if s.span_id not in before]
        for wake in (s for s in fresh if s.name == "wake held requests" and s.service == "eas-edge"):
            trace = [s for s in spans if s.trace_id == wake.trace_id]
            # Each service exports its own batches: wait until every hop between the delivery
            # and the wake-up has arrived.
            chain = ancestors(wake, trace)
            if chain and chain[-1].name == "LMTP DATA" and wake.attributes.get("eas.woken", 0) >= 1:
                return wake, trace
        return None

    wake, trace = receiver.wait_for(the_delivery, timeout=60, what="cluster delivery trace")
    chain = ancestors(wake, trace)
    hops = [(s.service, s.kind, s.name) for s in chain]
    topic = traced_cluster.script_env["EAS_CLUSTER_TOPIC"]
    # Nearest first: push's consumer span, mail's producer span, then the LMTP delivery (the
    # write's own spans may sit between the producer and the delivery).
    assert hops[0] == ("eas-push", "consumer", f"process {topic}"), hops
    assert hops[1] == ("eas-mail", "producer", f"send {topic}"), hops
    assert hops[-1] == ("eas-mail", "server", "LMTP DATA"), hops
    assert chain[-1].parent_id == ""
    process, send = chain[0], chain[1]
    assert process.attributes["messaging.system"] == "kafka"
    assert process.attributes["messaging.destination.name"] == topic
    assert process.attributes["messaging.operation.type"] == "process"
    assert process.attributes["eas.push.edges"] >= 1
    assert send.attributes["messaging.system"] == "kafka"
    assert send.attributes["messaging.destination.name"] == topic
    assert send.attributes["messaging.operation.type"] == "send"
    assert wake.kind == "consumer"
