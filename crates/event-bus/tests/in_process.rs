//! The in-process bus through the `EventBus` trait: delivery, filters, lag, JSON form.

use std::sync::Arc;
use std::time::Duration;

use eas_event_bus::{BusError, ChangeEvent, DataClass, EventBus, EventFilter, InProcessBus};
use futures::StreamExt;

fn mail(user: &str, folder: &str, counter: u64) -> ChangeEvent {
    ChangeEvent::items(user, DataClass::Mail, folder, counter)
}

async fn nothing_pending(sub: &mut eas_event_bus::Subscription) -> bool {
    tokio::time::timeout(Duration::from_millis(50), sub.recv())
        .await
        .is_err()
}

#[tokio::test]
async fn every_subscriber_receives_a_published_event() {
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::new());
    let mut first = bus.subscribe(EventFilter::all()).await.unwrap();
    let mut second = bus.subscribe(EventFilter::all()).await.unwrap();
    bus.publish(mail("a@example.loc", "7", 3)).await.unwrap();
    assert_eq!(first.recv().await.unwrap(), mail("a@example.loc", "7", 3));
    assert_eq!(second.recv().await.unwrap(), mail("a@example.loc", "7", 3));
}

#[tokio::test]
async fn publishing_without_subscribers_succeeds() {
    let bus = InProcessBus::new();
    bus.publish(mail("a@example.loc", "7", 1)).await.unwrap();
    assert_eq!(bus.subscriber_count(), 0);
}

#[tokio::test]
async fn a_subscriber_sees_only_events_published_after_it_subscribed() {
    let bus = InProcessBus::new();
    bus.publish(mail("a@example.loc", "7", 1)).await.unwrap();
    let mut sub = bus.subscribe(EventFilter::all()).await.unwrap();
    bus.publish(mail("a@example.loc", "7", 2)).await.unwrap();
    assert_eq!(sub.recv().await.unwrap().counter, 2);
}

#[tokio::test]
async fn a_user_filter_drops_other_users_events() {
    let bus = InProcessBus::new();
    let mut sub = bus
        .subscribe(EventFilter::user("b@example.loc"))
        .await
        .unwrap();
    bus.publish(mail("a@example.loc", "1", 1)).await.unwrap();
    bus.publish(mail("b@example.loc", "2", 5)).await.unwrap();
    let got = sub.recv().await.unwrap();
    assert_eq!((got.user.as_str(), got.counter), ("b@example.loc", 5));
    assert!(nothing_pending(&mut sub).await);
}

#[tokio::test]
async fn a_class_filter_drops_other_classes() {
    let bus = InProcessBus::new();
    let filter = EventFilter {
        user: None,
        class: Some(DataClass::Calendar),
    };
    let mut sub = bus.subscribe(filter).await.unwrap();
    bus.publish(mail("a@example.loc", "1", 1)).await.unwrap();
    let cal = ChangeEvent::items("a@example.loc", DataClass::Calendar, "c1", 9);
    bus.publish(cal.clone()).await.unwrap();
    assert_eq!(sub.recv().await.unwrap(), cal);
}

#[tokio::test]
async fn a_slow_subscriber_is_told_how_many_events_it_lost_and_then_continues() {
    let bus = InProcessBus::with_capacity(2);
    let mut sub = bus.subscribe(EventFilter::all()).await.unwrap();
    for counter in 1..=5 {
        bus.publish(mail("a@example.loc", "1", counter))
            .await
            .unwrap();
    }
    assert_eq!(sub.recv().await, Err(BusError::Lagged(3)));
    assert_eq!(sub.recv().await.unwrap().counter, 4);
    assert_eq!(sub.recv().await.unwrap().counter, 5);
}

#[tokio::test]
async fn a_subscription_is_a_stream_that_ends_when_the_bus_is_dropped() {
    let bus = InProcessBus::new();
    let sub = bus.subscribe(EventFilter::all()).await.unwrap();
    bus.publish(mail("a@example.loc", "1", 1)).await.unwrap();
    drop(bus);
    let events: Vec<_> = sub.collect().await;
    assert_eq!(events, vec![Ok(mail("a@example.loc", "1", 1))]);
}

#[tokio::test]
async fn recv_after_the_bus_is_gone_reports_closed() {
    let bus = InProcessBus::new();
    let mut sub = bus.subscribe(EventFilter::all()).await.unwrap();
    drop(bus);
    assert_eq!(sub.recv().await, Err(BusError::Closed));
}

#[test]
fn the_json_form_names_every_field_and_round_trips() {
    let event = ChangeEvent::hierarchy("a@example.loc", DataClass::Contacts, "12", 4);
    let json = event.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "user": "a@example.loc",
            "class": "contacts",
            "folder_id": "12",
            "counter": 4,
            "hierarchy_changed": true
        })
    );
    assert_eq!(ChangeEvent::from_json(&json).unwrap(), event);
    assert_eq!(event.key(), "a@example.loc");
}

#[test]
fn a_stamped_event_carries_its_production_time_on_the_wire() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let event = mail("a@example.loc", "7", 3).stamped();
    let produced = event.produced_ms.unwrap();
    assert!(produced >= before && produced < before + 60_000);
    let value: serde_json::Value = serde_json::from_slice(&event.to_json().unwrap()).unwrap();
    assert_eq!(value["produced_ms"], produced);
    assert_eq!(
        ChangeEvent::from_json(&event.to_json().unwrap()).unwrap(),
        event
    );
}

#[test]
fn data_class_names_parse_and_unknown_ones_are_refused() {
    for class in [DataClass::Mail, DataClass::Calendar, DataClass::Contacts] {
        assert_eq!(class.as_str().parse::<DataClass>().unwrap(), class);
    }
    assert!("tasks".parse::<DataClass>().is_err());
    assert!(ChangeEvent::from_json(
        br#"{"user":"a","class":"tasks","folder_id":"1","counter":1,"hierarchy_changed":false}"#
    )
    .is_err());
}
