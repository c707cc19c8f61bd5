//! Push routing for the cluster: where held Pings are (a registry in Redis), what an edge
//! replica is told (wake messages on its Redis channel), and the push service loop that turns
//! change events from Kafka into those messages (docs/push.md).

pub mod feed;
pub mod registry;
pub mod router;
pub mod wire;

pub use registry::{PingRegistry, RedisPingRegistry, RegistryError};
pub use wire::WakeMessage;
