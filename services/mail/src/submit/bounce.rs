//! The note a sender finds in the Inbox when the relay refused a message for good: a plain
//! text explanation with the original attached (in the spirit of RFC 3464, not its format).

use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;

use crate::outbound::Outbound;

/// Builds the note for `row`; `error` is the relay's reply or the reason for giving up.
pub(crate) fn note(row: &Outbound, error: &str) -> std::io::Result<Vec<u8>> {
    let domain = row.sender.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let subject = super::compose::parse(&row.raw)
        .and_then(|m| m.subject().map(str::to_owned))
        .unwrap_or_default();
    let text = format!(
        "Your message could not be delivered to:\r\n\r\n{}\r\n\r\nThe mail relay answered:\r\n{error}\r\n",
        row.recipients.join("\r\n")
    );
    let original = MimePart::new("message/rfc822", row.raw.clone())
        .attachment("original.eml")
        .transfer_encoding(if row.raw.is_ascii() { "7bit" } else { "8bit" });
    MessageBuilder::new()
        .from((
            "Mail Delivery System".to_owned(),
            format!("mailer-daemon@{domain}"),
        ))
        .to(row.sender.as_str())
        .subject(format!("Undeliverable: {subject}"))
        .body(MimePart::new(
            "multipart/mixed",
            vec![MimePart::new("text/plain", text), original],
        ))
        .write_to_vec()
}
