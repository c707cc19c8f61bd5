//! After a message is accepted: tell the contacts service whom the user wrote to, so that it
//! can add the new addresses to the user's collected contacts (its `CollectRecipients`,
//! docs/contacts-service.md). Neither service reads the other's tables. Best effort: it runs
//! after the submission has answered, and a failure is logged, never the phone's problem.

use async_trait::async_trait;
use eas_rpc::Channel;
use mail_parser::{Address, Message};

/// A recipient as the message named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedRecipient {
    /// Lowercased.
    pub address: String,
    /// The display name, empty when the message gave none.
    pub display_name: String,
}

/// Where the recipients of accepted messages go.
#[async_trait]
pub trait RecipientCollector: Send + Sync + 'static {
    /// `user` sent a message to `recipients` (To, Cc and Bcc, each address once).
    async fn collect(&self, user: &str, recipients: Vec<UsedRecipient>) -> Result<(), String>;
}

/// The contacts service over gRPC (`eas_rpc::contacts_client`), in process or remote.
pub struct ContactsCollector {
    client: eas_rpc::contacts::contacts_client::ContactsClient<Channel>,
}

impl ContactsCollector {
    pub fn new(client: eas_rpc::contacts::contacts_client::ContactsClient<Channel>) -> Self {
        ContactsCollector { client }
    }
}

#[async_trait]
impl RecipientCollector for ContactsCollector {
    async fn collect(&self, user: &str, recipients: Vec<UsedRecipient>) -> Result<(), String> {
        use eas_rpc::contacts as wire;
        let request = wire::CollectRequest {
            user: user.to_owned(),
            recipients: recipients
                .into_iter()
                .map(|r| wire::Recipient {
                    address: r.address,
                    display_name: r.display_name,
                })
                .collect(),
        };
        self.client
            .clone()
            .collect_recipients(request)
            .await
            .map(|_| ())
            .map_err(|s| eas_rpc::ServiceError::from_status(&s).to_string())
    }
}

/// The To, Cc and Bcc mailboxes of the phone's message with their display names, each address
/// once (the first name given wins).
pub(crate) fn used_recipients(message: &Message<'_>) -> Vec<UsedRecipient> {
    let mut out: Vec<UsedRecipient> = Vec::new();
    for addr in [message.to(), message.cc(), message.bcc()]
        .into_iter()
        .flatten()
        .flat_map(Address::iter)
    {
        let Some(address) = addr.address().map(|a| a.trim().to_lowercase()) else {
            continue;
        };
        if !address.contains('@') || out.iter().any(|r| r.address == address) {
            continue;
        }
        out.push(UsedRecipient {
            address,
            display_name: addr.name().unwrap_or_default().trim().to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_cc_and_bcc_with_their_names_each_once() {
        let raw = b"From: me@example.loc\r\nTo: \"Ann Lee\" <Ann@Example.org>, bob@example.org\r\n\
Cc: Carl <carl@example.net>, ann@example.org\r\nBcc: Dee <dee@example.com>\r\n\
Subject: x\r\n\r\nbody\r\n";
        let message = mail_parser::MessageParser::default()
            .parse(&raw[..])
            .unwrap();
        let got: Vec<(String, String)> = used_recipients(&message)
            .into_iter()
            .map(|r| (r.address, r.display_name))
            .collect();
        let want = [
            ("ann@example.org", "Ann Lee"),
            ("bob@example.org", ""),
            ("carl@example.net", "Carl"),
            ("dee@example.com", "Dee"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, n)| ((*a).to_owned(), (*n).to_owned()))
            .collect();
        assert_eq!(got, want);
    }
}
