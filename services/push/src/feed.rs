//! The edge replica's side of the wake channel: a stream of [`WakeMessage`]s read from Redis
//! pub/sub, reconnecting by itself.
//!
//! Redis pub/sub delivers at most once: a message sent while the subscription is down is lost.
//! So after every (re)subscription the feed yields [`WakeMessage::Recheck`], and each held Ping
//! compares its folders' counters again; a lost wake-up costs a counter check, never a change.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::wire::{broadcast_channel, edge_channel, WakeMessage};

/// Settings of an edge's feed.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub redis_url: String,
    pub prefix: String,
    pub edge_id: String,
    /// Bound on connecting and subscribing.
    pub timeout: Duration,
    /// Pause between reconnection attempts.
    pub retry: Duration,
}

/// Starts reading this replica's channels; the task ends when the stream is dropped.
pub fn start(config: FeedConfig) -> impl futures::Stream<Item = WakeMessage> + Send + Unpin {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(run(config, tx));
    ReceiverStream::new(rx)
}

async fn run(config: FeedConfig, tx: mpsc::Sender<WakeMessage>) {
    let own = edge_channel(&config.prefix, &config.edge_id);
    let all = broadcast_channel(&config.prefix);
    let mut connected_before = false;
    loop {
        if tx.is_closed() {
            return;
        }
        match subscribe(&config, &own, &all).await {
            Ok(pubsub) => {
                if connected_before {
                    tracing::info!(edge_id = %config.edge_id, "wake channel resubscribed");
                }
                connected_before = true;
                // Anything sent while we were not subscribed is lost: every held Ping re-checks.
                if tx.send(WakeMessage::Recheck).await.is_err() {
                    return;
                }
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let payload: Vec<u8> = match msg.get_payload() {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable wake message");
                            continue;
                        }
                    };
                    match WakeMessage::from_json(&payload) {
                        Ok(m) => {
                            if tx.send(m).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "malformed wake message"),
                    }
                }
                tracing::warn!(edge_id = %config.edge_id, "wake channel connection lost");
            }
            Err(e) => {
                tracing::warn!(edge_id = %config.edge_id, error = %e, "cannot subscribe to the wake channel");
            }
        }
        tokio::time::sleep(config.retry).await;
    }
}

async fn subscribe(
    config: &FeedConfig,
    own: &str,
    all: &str,
) -> Result<redis::aio::PubSub, String> {
    let client = redis::Client::open(config.redis_url.as_str()).map_err(|e| e.to_string())?;
    let connect = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(own).await?;
        pubsub.subscribe(all).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(config.timeout, connect).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}
