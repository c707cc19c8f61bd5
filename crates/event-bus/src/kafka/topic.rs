//! Creating the change-event topic at startup when it does not exist yet.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;

use super::{transport, KafkaConfig};
use crate::bus::BusError;

/// Creates `config.topic` with the configured partitions and replication factor; a topic that
/// already exists is left alone, whatever its partition count.
pub(crate) async fn ensure_topic(config: &KafkaConfig) -> Result<(), BusError> {
    let admin: AdminClient<DefaultClientContext> = config
        .admin()
        .create()
        .map_err(|e| transport("creating the kafka admin client", e))?;
    let topic = NewTopic::new(
        &config.topic,
        config.partitions,
        TopicReplication::Fixed(config.replication_factor),
    );
    let options = AdminOptions::new()
        .request_timeout(Some(config.timeout()))
        .operation_timeout(Some(config.timeout()));
    let results = tokio::time::timeout(
        config.timeout() * 2,
        admin.create_topics([&topic], &options),
    )
    .await
    .map_err(|_| BusError::Transport(format!("creating topic {}: timed out", config.topic)))?
    .map_err(|e| transport("creating the topic", e))?;
    for result in results {
        match result {
            Ok(name) => {
                tracing::info!(topic = %name, partitions = config.partitions, "created kafka topic")
            }
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(BusError::Transport(format!(
                    "creating topic {name}: {code}"
                )))
            }
        }
    }
    Ok(())
}
