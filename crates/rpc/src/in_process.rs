//! A gRPC channel to a server in the same process, over in-memory duplex pipes instead of TCP.

use std::convert::Infallible;

use hyper_util::rt::TokioIo;
use tokio_stream::StreamExt as _;
use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::Endpoint;

use crate::Channel;
use tower::Service;

/// Starts `service` on an in-memory transport and returns a channel connected to it.
pub async fn channel<S>(service: S) -> Result<Channel, tonic::transport::Error>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    routes_channel(Routes::new(service)).await
}

/// Starts the services of `routes` (a data service's own API and its `Collections`, say) on one
/// in-memory transport and returns a channel connected to them.
pub async fn routes_channel(routes: Routes) -> Result<Channel, tonic::transport::Error> {
    let (tx, rx) = tokio::sync::mpsc::channel::<tokio::io::DuplexStream>(16);
    tokio::spawn(async move {
        let incoming = tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, std::io::Error>);
        let _ = crate::server_builder()
            .add_routes(routes)
            .serve_with_incoming(incoming)
            .await;
    });
    // The URI is never dialled: the connector hands out a fresh pipe for each connection.
    Endpoint::from_static("http://in-process.invalid")
        .concurrency_limit(crate::MAX_CALLS_IN_FLIGHT)
        .connect_with_connector(tower::service_fn(move |_| {
            let tx = tx.clone();
            async move {
                let (client, server) = tokio::io::duplex(64 * 1024);
                tx.send(server)
                    .await
                    .map_err(|_| std::io::Error::other("in-process grpc server stopped"))?;
                Ok::<_, std::io::Error>(TokioIo::new(client))
            }
        }))
        .await
        .map(Channel::new)
}
