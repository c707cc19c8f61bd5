//! Parsing one LMTP command line into a [`Command`]; no I/O.

/// One command of RFC 2033 (LMTP) as far as this server implements it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// RFC 2033 section 4.1: LHLO replaces EHLO.
    Lhlo(String),
    /// HELO or EHLO, which an LMTP server must not accept (RFC 2033 section 4.1).
    Helo,
    /// RFC 5321 section 4.1.1.2; `from` is empty for the null reverse-path `<>`.
    Mail {
        from: String,
        size: Option<u64>,
    },
    /// RFC 5321 section 4.1.1.3.
    Rcpt {
        to: String,
    },
    Data,
    Rset,
    Noop,
    Quit,
    /// A verb this server does not know (answered 500).
    Unknown,
}

/// Why a known command was refused before it ran: the reply to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxError {
    /// 501: arguments malformed.
    Arguments(&'static str),
    /// 555: a MAIL or RCPT parameter this server does not support (RFC 5321 section 4.1.1.11).
    Parameter,
}

/// Parses a command line without its line ending.
pub(crate) fn parse(line: &[u8]) -> Result<Command, SyntaxError> {
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(SyntaxError::Arguments("command is not valid utf-8"));
    };
    let (verb, rest) = match line.split_once(' ') {
        Some((verb, rest)) => (verb, rest.trim()),
        None => (line, ""),
    };
    match verb.to_ascii_uppercase().as_str() {
        "LHLO" if rest.is_empty() => Err(SyntaxError::Arguments("syntax: LHLO hostname")),
        "LHLO" => Ok(Command::Lhlo(rest.to_owned())),
        "HELO" | "EHLO" => Ok(Command::Helo),
        "MAIL" => parse_mail(rest),
        "RCPT" => parse_rcpt(rest),
        "DATA" => no_arguments(rest, Command::Data, "syntax: DATA"),
        "RSET" => no_arguments(rest, Command::Rset, "syntax: RSET"),
        // RFC 5321 section 4.1.1.9: NOOP may carry a string, which is ignored.
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_arguments(rest, Command::Quit, "syntax: QUIT"),
        _ => Ok(Command::Unknown),
    }
}

fn no_arguments(rest: &str, command: Command, usage: &'static str) -> Result<Command, SyntaxError> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(SyntaxError::Arguments(usage))
    }
}

fn parse_mail(rest: &str) -> Result<Command, SyntaxError> {
    const USAGE: &str = "syntax: MAIL FROM:<address>";
    let (from, params) = path_after(rest, "FROM:").ok_or(SyntaxError::Arguments(USAGE))?;
    let mut size = None;
    for param in params.split_ascii_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            // RFC 1870 section 6: the declared size, checked against the limit at MAIL.
            "SIZE" => {
                let declared = value
                    .parse::<u64>()
                    .map_err(|_| SyntaxError::Arguments("syntax: SIZE=<digits>"))?;
                size = Some(declared);
            }
            // RFC 6152: 8BITMIME; the store keeps bytes as they come either way.
            "BODY" if matches!(value.to_ascii_uppercase().as_str(), "7BIT" | "8BITMIME") => {}
            _ => return Err(SyntaxError::Parameter),
        }
    }
    Ok(Command::Mail {
        from: from.to_owned(),
        size,
    })
}

fn parse_rcpt(rest: &str) -> Result<Command, SyntaxError> {
    const USAGE: &str = "syntax: RCPT TO:<address>";
    let (to, params) = path_after(rest, "TO:").ok_or(SyntaxError::Arguments(USAGE))?;
    if to.is_empty() {
        return Err(SyntaxError::Arguments(USAGE));
    }
    if !params.trim().is_empty() {
        return Err(SyntaxError::Parameter);
    }
    Ok(Command::Rcpt { to: to.to_owned() })
}

/// Splits `FROM:<path> params` into the path (without brackets) and the parameters.
fn path_after<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    // Some clients put a space after the colon; accept it.
    let path = rest[keyword.len()..].trim_start();
    let inner = path.strip_prefix('<')?;
    let end = inner.find('>')?;
    let address = &inner[..end];
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some((address, &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_case_insensitive_and_unknown_verbs_are_unknown() {
        assert_eq!(
            parse(b"lhlo mx.example.loc"),
            Ok(Command::Lhlo("mx.example.loc".into()))
        );
        assert_eq!(parse(b"QuIt"), Ok(Command::Quit));
        assert_eq!(parse(b"EHLO x"), Ok(Command::Helo));
        assert_eq!(parse(b"VRFY x"), Ok(Command::Unknown));
        assert_eq!(parse(b"NOOP anything"), Ok(Command::Noop));
    }

    #[test]
    fn mail_takes_a_path_a_size_and_a_body_type() {
        assert_eq!(
            parse(b"MAIL FROM:<a@b.c> SIZE=1200 BODY=8BITMIME"),
            Ok(Command::Mail {
                from: "a@b.c".into(),
                size: Some(1200)
            })
        );
        assert_eq!(
            parse(b"MAIL FROM:<>"),
            Ok(Command::Mail {
                from: String::new(),
                size: None
            })
        );
        assert_eq!(
            parse(b"mail from: <a@b.c>"),
            Ok(Command::Mail {
                from: "a@b.c".into(),
                size: None
            })
        );
    }

    #[test]
    fn malformed_paths_and_unknown_parameters_are_refused() {
        assert!(matches!(
            parse(b"MAIL a@b.c"),
            Err(SyntaxError::Arguments(_))
        ));
        assert!(matches!(
            parse(b"MAIL FROM:a@b.c"),
            Err(SyntaxError::Arguments(_))
        ));
        assert!(matches!(
            parse(b"MAIL FROM:<a@b.c> SIZE=big"),
            Err(SyntaxError::Arguments(_))
        ));
        assert_eq!(
            parse(b"MAIL FROM:<a@b.c> SMTPUTF8"),
            Err(SyntaxError::Parameter)
        );
        assert!(matches!(
            parse(b"RCPT TO:<>"),
            Err(SyntaxError::Arguments(_))
        ));
        assert!(matches!(
            parse(b"RCPT TO:<a b@c>"),
            Err(SyntaxError::Arguments(_))
        ));
        assert_eq!(
            parse(b"RCPT TO:<a@b.c> NOTIFY=NEVER"),
            Err(SyntaxError::Parameter)
        );
        assert!(matches!(parse(b"DATA now"), Err(SyntaxError::Arguments(_))));
        assert!(matches!(parse(b"LHLO"), Err(SyntaxError::Arguments(_))));
    }
}
