//! Deterministic test mail of realistic shape: mostly 2 to 20 KB of text or text+HTML, some with
//! a small attachment, and single messages with one large attachment. The same seed and index
//! always give the same bytes.

use base64::Engine;

/// SplitMix64: small, fast and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo) as u64) as usize
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

const WORDS: &[&str] = &[
    "the", "meeting", "project", "budget", "review", "please", "attached", "report", "quarter",
    "customer", "schedule", "update", "team", "regards", "thanks", "deadline", "proposal",
    "invoice", "agenda", "notes", "follow", "up", "on", "our", "call", "about", "next", "week",
    "and", "with", "for", "a", "to", "of", "in", "is", "we", "will", "this", "that", "draft",
    "numbers", "sales", "contract", "approval", "office", "travel", "plan", "feedback", "release",
];

/// What kind of message an index gives, for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Text,
    Alternative,
    WithAttachment,
}

/// A message generator for one recipient.
pub struct MailGen {
    seed: u64,
    pub to: String,
}

impl MailGen {
    pub fn new(seed: u64, to: &str) -> MailGen {
        MailGen {
            seed,
            to: to.to_owned(),
        }
    }

    /// Message `i`: 30 % plain text, 55 % text and HTML (multipart/alternative), 15 % text and
    /// HTML plus one attachment of 5 to 60 KB; bodies of 2 to 20 KB.
    pub fn message(&self, i: u64) -> (Shape, Vec<u8>) {
        let mut rng = Rng::new(self.seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let shape = match rng.range(0, 100) {
            0..30 => Shape::Text,
            30..85 => Shape::Alternative,
            _ => Shape::WithAttachment,
        };
        let body_size = rng.range(2_000, 20_000);
        let subject = format!("{} {} (load {i})", word(&mut rng), word(&mut rng));
        let mut m = headers(&self.to, i, &subject, &mut rng);
        match shape {
            Shape::Text => {
                m.push_str("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
                m.push_str(&text(&mut rng, body_size));
            }
            Shape::Alternative => {
                m.push_str(&alternative(&mut rng, body_size, "alt", i));
            }
            Shape::WithAttachment => {
                let size = rng.range(5_000, 60_000);
                let mut data = vec![0; size];
                rng.fill(&mut data);
                let inner = alternative(&mut rng, body_size, "alt", i);
                m.push_str(&mixed(
                    inner,
                    &format!("report-{i}.pdf"),
                    "application/pdf",
                    &data,
                    i,
                ));
            }
        }
        (shape, m.into_bytes())
    }

    /// One message with a short text and an attachment of `size` random bytes.
    pub fn with_attachment(&self, size: usize) -> Vec<u8> {
        let mut rng = Rng::new(self.seed);
        let mut data = vec![0; size];
        rng.fill(&mut data);
        let mut m = headers(&self.to, 0, "large attachment", &mut rng);
        let inner = format!(
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n{}",
            text(&mut rng, 500)
        );
        m.push_str(&mixed(
            inner,
            "large.bin",
            "application/octet-stream",
            &data,
            0,
        ));
        m.into_bytes()
    }
}

fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.range(0, WORDS.len())]
}

fn headers(to: &str, i: u64, subject: &str, rng: &mut Rng) -> String {
    let sender = rng.range(1, 200);
    let secs = (i * 37) % 86_400;
    format!(
        "From: Sender {sender} <sender{sender}@outside.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Tue, 25 Nov 2025 {:02}:{:02}:{:02} +0000\r\nMessage-ID: <load-{i}-{sender}@eas-load.test>\r\n\
         MIME-Version: 1.0\r\n",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// About `size` bytes of words in lines of at most 76 characters.
fn text(rng: &mut Rng, size: usize) -> String {
    let mut out = String::with_capacity(size + 80);
    let mut line = 0;
    while out.len() < size {
        let w = word(rng);
        if line + w.len() + 1 > 76 {
            out.push_str("\r\n");
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(w);
        line += w.len();
    }
    out.push_str("\r\n");
    out
}

/// The same words as HTML paragraphs.
fn html(rng: &mut Rng, size: usize) -> String {
    let mut out = String::from("<html><head><meta charset=\"us-ascii\"></head><body>\r\n");
    while out.len() < size {
        out.push_str("<p>");
        out.push_str(text(rng, 300).trim_end());
        out.push_str(" <b>");
        out.push_str(word(rng));
        out.push_str("</b> <a href=\"https://example.test/doc\">link</a></p>\r\n");
    }
    out.push_str("</body></html>\r\n");
    out
}

fn alternative(rng: &mut Rng, size: usize, tag: &str, i: u64) -> String {
    let boundary = format!("=_{tag}_{i}");
    format!(
        "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{}\
         --{boundary}\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n{}\
         --{boundary}--\r\n",
        text(rng, size / 3),
        html(rng, size * 2 / 3)
    )
}

fn mixed(inner: String, name: &str, mime: &str, data: &[u8], i: u64) -> String {
    let boundary = format!("=_mixed_{i}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(b64.len() * 78 / 76 + inner.len() + 512);
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n{inner}\
         --{boundary}\r\nContent-Type: {mime}; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ));
    for line in b64.as_bytes().chunks(76) {
        // base64 text is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_index_gives_the_same_bytes_and_sizes_stay_in_range() {
        let g = MailGen::new(7, "jdoe@example.loc");
        assert_eq!(g.message(42).1, g.message(42).1);
        let mut shapes = [0usize; 3];
        for i in 0..300 {
            let (shape, m) = g.message(i);
            shapes[shape as usize] += 1;
            assert!(m.len() > 2_000, "message {i} is {} bytes", m.len());
            let limit = if shape == Shape::WithAttachment {
                110_000
            } else {
                30_000
            };
            assert!(m.len() < limit, "message {i} is {} bytes", m.len());
            let parsed = String::from_utf8(m).unwrap();
            assert!(parsed.lines().all(|l| l.len() <= 998));
        }
        assert!(shapes.iter().all(|&n| n > 20), "{shapes:?}");
    }
}
