//! The gRPC face over the in-process channel: byte budgets, streamed bodies and message sizes.

use eas_mail::grpc::MailService;
use eas_mail::{MailOptions, MailStore};
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{BodyKind, BodyRef, BodyRequest, GetMessagesRequest, SearchRequest};
use eas_rpc::Channel;

use crate::harness::{backend_tests, test_options, text_mail, TestDb, USER};

const MIB: usize = 1 << 20;

/// A store with real-sized chunks (large messages in 64-byte chunks would be slow).
async fn store(db: &TestDb) -> MailStore {
    let options = MailOptions {
        chunk_size: 256 * 1024,
        ..test_options()
    };
    let (store, _bus) = db.store_with(options).await;
    store.ensure_mailbox(USER).await.unwrap();
    store
}

/// A client with tonic's default limits (4 MiB per message): what the service sends must fit.
async fn client(store: &MailStore) -> MailClient<Channel> {
    let channel =
        eas_rpc::in_process::routes_channel(MailService::new(store.clone()).into_routes())
            .await
            .unwrap();
    MailClient::new(channel)
}

fn plain(truncation_size: u32) -> Vec<BodyRequest> {
    vec![BodyRequest {
        kind: BodyKind::Plain as i32,
        truncation_size,
        all_or_none: false,
        preview: 0,
    }]
}

fn text(size: usize) -> String {
    "0123456789abcdef".repeat(size / 16)
}

async fn deliver(store: &MailStore, subject: &str, size: usize) -> String {
    let raw = text_mail(subject, &text(size));
    store
        .deliver(USER, None, &raw, 1)
        .await
        .unwrap()
        .id
        .to_string()
}

async fn read_body(c: &mut MailClient<Channel>, id: &str, body: Vec<BodyRequest>) -> Vec<u8> {
    let mut stream = c
        .read_body(BodyRef {
            user: USER.into(),
            id: id.into(),
            body,
        })
        .await
        .unwrap()
        .into_inner();
    let mut data = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        assert!(chunk.data.len() <= 256 * 1024, "bounded chunks");
        data.extend_from_slice(&chunk.data);
    }
    data
}

backend_tests! {
    async fn get_messages_keeps_to_the_byte_budget_in_request_order_and_names_the_rest(db: &TestDb) {
        let store = store(db).await;
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(deliver(&store, &format!("m{n}"), MIB).await);
        }
        ids.reverse();
        let mut c = client(&store).await;
        let reply = c
            .get_messages(GetMessagesRequest {
                user: USER.into(),
                ids: ids.clone(),
                body: plain(0),
                max_bytes: (2 * MIB + MIB / 2) as u64,
                metadata_only: false,
            })
            .await
            .unwrap()
            .into_inner();
        let got: Vec<_> = reply.messages.iter().map(|m| m.id.clone()).collect();
        assert_eq!(got, ids[..2].to_vec(), "the first ones, in the caller's order");
        assert_eq!(reply.omitted, ids[2..].to_vec(), "the rest, named");
        for m in &reply.messages {
            let b = m.body.as_ref().unwrap();
            // Over the inline limit: the data comes by ReadBody, its size is announced.
            assert!(b.data_streamed && b.data.is_empty());
            assert!(b.data_size >= MIB as u64);
        }
        // The first message comes even when it alone is over the budget.
        let reply = c
            .get_messages(GetMessagesRequest {
                user: USER.into(),
                ids: ids.clone(),
                body: plain(0),
                max_bytes: 1,
                metadata_only: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.messages.len(), 1);
        assert_eq!(reply.omitted.len(), 3);
    }

    async fn a_body_over_4_mib_is_streamed_by_read_body_and_truncation_is_applied_before_grpc(db: &TestDb) {
        let store = store(db).await;
        let id = deliver(&store, "huge", 6 * MIB).await;
        let mut c = client(&store).await;
        let get = |body: Vec<BodyRequest>| GetMessagesRequest {
            user: USER.into(),
            ids: vec![id.clone()],
            body,
            max_bytes: 0,
            metadata_only: false,
        };
        let whole = c.get_messages(get(plain(0))).await.unwrap().into_inner();
        let b = whole.messages[0].body.clone().unwrap();
        assert!(b.data_streamed && !b.truncated);
        let data = read_body(&mut c, &id, plain(0)).await;
        assert_eq!(data.len() as u64, b.data_size);
        assert!(data.starts_with(text(6 * MIB).as_bytes()));
        // Truncated in the mail service: only the cut part crosses, inline.
        let cut = c.get_messages(get(plain(1000))).await.unwrap().into_inner();
        let b = cut.messages[0].body.clone().unwrap();
        assert!(!b.data_streamed && b.truncated);
        assert_eq!((b.data.len(), b.data_size), (1000, 1000));
        assert!(b.estimated_size >= (6 * MIB) as u64);
        assert_eq!(read_body(&mut c, &id, plain(1000)).await, b.data);
        // Metadata only: no body at all.
        let mut meta = get(plain(0));
        meta.metadata_only = true;
        let meta = c.get_messages(meta).await.unwrap().into_inner();
        assert_eq!(meta.messages[0].subject, "huge");
        assert!(meta.messages[0].body.is_none());
    }

    async fn a_search_page_over_the_budget_is_cut_short_and_says_so(db: &TestDb) {
        let store = store(db).await;
        for n in 0..3 {
            deliver(&store, &format!("big{n}"), 3 * MIB).await;
        }
        let mut c = client(&store).await;
        let search = |max_bytes: u64| SearchRequest {
            user: USER.into(),
            text: "0123456789".into(),
            folder_id: String::new(),
            range_start: 0,
            range_end: 9,
            body: plain(0),
            max_bytes,
        };
        let page = c.search(search((4 * MIB) as u64)).await.unwrap().into_inner();
        assert_eq!((page.messages.len(), page.total, page.cut_short), (1, 3, true));
        let page = c.search(search(0)).await.unwrap().into_inner();
        assert_eq!((page.messages.len(), page.cut_short), (3, false));
    }
}
