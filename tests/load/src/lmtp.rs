//! A minimal LMTP client (RFC 2033), as an MTA delivers: one connection, one transaction after
//! the other, and the time each recipient's reply arrived after the final dot.

use std::net::SocketAddr;
use std::time::SystemTime;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::Error;

/// One recipient's outcome: accepted (2xx after DATA) or refused, and when the reply came.
#[derive(Clone, Debug)]
pub struct RecipientReply {
    pub recipient: String,
    pub accepted: bool,
    pub reply: String,
    pub at: SystemTime,
}

/// An open LMTP session after LHLO.
pub struct LmtpClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl LmtpClient {
    pub async fn connect(addr: SocketAddr) -> Result<LmtpClient, Error> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| Error::io(format!("lmtp connect {addr}"), e))?;
        let (r, w) = stream.into_split();
        let mut c = LmtpClient {
            reader: BufReader::new(r),
            writer: w,
        };
        c.expect(220).await?;
        c.command("LHLO eas-load.localhost").await?;
        c.expect(250).await?;
        Ok(c)
    }

    async fn command(&mut self, line: &str) -> Result<(), Error> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .map_err(|e| Error::io("lmtp write", e))
    }

    /// Reads one (possibly multi-line) reply: its code and its last line.
    async fn reply(&mut self) -> Result<(u16, String), Error> {
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .await
                .map_err(|e| Error::io("lmtp read", e))?;
            if n == 0 {
                return Err(Error::Lmtp("connection closed".into()));
            }
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| Error::Lmtp(format!("bad reply {line:?}")))?;
            // RFC 5321 4.2.1: "250-" continues, "250 " ends the reply.
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, line.trim_end().to_owned()));
            }
        }
    }

    async fn expect(&mut self, code: u16) -> Result<String, Error> {
        let (got, line) = self.reply().await?;
        if got != code {
            return Err(Error::Lmtp(format!("expected {code}, got {line:?}")));
        }
        Ok(line)
    }

    /// Delivers `message` (RFC 5322, CRLF line ends) to `recipients`. LMTP answers once per
    /// accepted recipient after the data (RFC 2033 4.2); each reply is stamped on arrival.
    pub async fn deliver(
        &mut self,
        from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<Vec<RecipientReply>, Error> {
        self.command(&format!("MAIL FROM:<{from}> SIZE={}", message.len()))
            .await?;
        self.expect(250).await?;
        let mut out = Vec::new();
        let mut accepted = Vec::new();
        for r in recipients {
            self.command(&format!("RCPT TO:<{r}>")).await?;
            let (code, line) = self.reply().await?;
            if code / 100 == 2 {
                accepted.push(r.clone());
            } else {
                out.push(RecipientReply {
                    recipient: r.clone(),
                    accepted: false,
                    reply: line,
                    at: SystemTime::now(),
                });
            }
        }
        if accepted.is_empty() {
            self.command("RSET").await?;
            self.expect(250).await?;
            return Ok(out);
        }
        self.command("DATA").await?;
        self.expect(354).await?;
        let stuffed = dot_stuff(message);
        self.writer
            .write_all(&stuffed)
            .await
            .map_err(|e| Error::io("lmtp data", e))?;
        self.writer
            .write_all(b".\r\n")
            .await
            .map_err(|e| Error::io("lmtp data", e))?;
        for r in accepted {
            let (code, line) = self.reply().await?;
            out.push(RecipientReply {
                recipient: r,
                accepted: code / 100 == 2,
                reply: line,
                at: SystemTime::now(),
            });
        }
        Ok(out)
    }

    pub async fn quit(mut self) -> Result<(), Error> {
        self.command("QUIT").await?;
        self.expect(221).await.map(|_| ())
    }
}

/// The message with a leading dot doubled on every line (RFC 5321 4.5.2) and a final CRLF.
fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_starting_with_a_dot_gets_a_second_one_and_the_data_ends_with_crlf() {
        assert_eq!(
            dot_stuff(b".a\r\nb.\r\n.\r\nc"),
            b"..a\r\nb.\r\n..\r\nc\r\n".to_vec()
        );
    }
}
