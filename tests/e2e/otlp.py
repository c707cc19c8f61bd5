"""A local OTLP trace receiver for the tests: OTLP/gRPC (the collector's TraceService, from the
opentelemetry-proto package's generated code) and OTLP/HTTP with protobuf bodies (POST
/v1/traces), both on loopback ports the OS picks. It keeps every span it receives."""
from __future__ import annotations

import http.server
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

# opentelemetry/proto/trace/v1/trace.proto, Span.SpanKind
KIND = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root span
    name: str
    kind: str
    service: str  # the resource's service.name
    attributes: dict = field(default_factory=dict)
    resource: dict = field(default_factory=dict)
    status_code: int = 0  # 0 unset, 1 ok, 2 error


def _value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


def _spans(request: trace_service_pb2.ExportTraceServiceRequest) -> list[Span]:
    out = []
    for rs in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(Span(
                    trace_id=s.trace_id.hex(),
                    span_id=s.span_id.hex(),
                    parent_id=s.parent_span_id.hex(),
                    name=s.name,
                    kind=KIND.get(s.kind, str(s.kind)),
                    service=str(resource.get("service.name", "")),
                    attributes={kv.key: _value(kv.value) for kv in s.attributes},
                    resource=resource,
                    status_code=s.status.code,
                ))
    return out


class Receiver:
    def __init__(self):
        self._lock = threading.Lock()
        self._spans: list[Span] = []
        self.requests = 0

        outer = self

        class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):
                outer._add(_spans(request))
                return trace_service_pb2.ExportTraceServiceResponse()

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), self._grpc)
        grpc_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()
        self.grpc_endpoint = f"http://127.0.0.1:{grpc_port}"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                outer._add(_spans(request))
                reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.http_endpoint = f"http://127.0.0.1:{self._http.server_address[1]}"

    def _add(self, spans: list[Span]) -> None:
        with self._lock:
            self.requests += 1
            self._spans.extend(spans)

    def spans(self) -> list[Span]:
        with self._lock:
            return list(self._spans)

    def trace(self, trace_id: str) -> list[Span]:
        return [s for s in self.spans() if s.trace_id == trace_id]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "spans"):
        """Polls until `predicate(spans)` returns something truthy; returns it. The services
        export in batches a moment after the work ends."""
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.spans())
            if found:
                return found
            if time.monotonic() > deadline:
                names = sorted({(s.service, s.name) for s in self.spans()})
                raise AssertionError(f"no {what} within {timeout} s; received {names}")
            time.sleep(0.1)

    def stop(self) -> None:
        self._grpc.stop(grace=None)
        self._http.shutdown()
        self._http.server_close()


def ancestors(span: Span, spans: list[Span]) -> list[Span]:
    """The chain of parents of `span` among `spans`, nearest first; it stops at a parent that is
    not among them."""
    by_id = {s.span_id: s for s in spans}
    chain = []
    current = span
    while current.parent_id and current.parent_id in by_id:
        current = by_id[current.parent_id]
        chain.append(current)
    return chain
