//! RFC 5545 content lines as text (3.1): one line split into name, parameters and value, TEXT
//! values escaped and unescaped (3.3.11), and lines folded at 75 octets on character
//! boundaries for writing.

use crate::meta::{Param, Property};

/// Splits one unfolded content line (`NAME;P=a,"b:c":value`) at the first colon outside
/// quotes. `None` for a line without a colon or a name.
pub fn split_line(line: &str) -> Option<Property> {
    let mut in_quotes = false;
    let mut head_end = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                head_end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let head_end = head_end?;
    let (head, value) = (&line[..head_end], &line[head_end + 1..]);
    let mut parts = split_outside_quotes(head, ';').into_iter();
    let name = parts.next()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts
        .filter_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let values = if v.is_empty() {
                Vec::new()
            } else {
                split_outside_quotes(v, ',')
                    .into_iter()
                    .map(|x| x.trim_matches('"').to_string())
                    .collect()
            };
            let n = n.trim().to_ascii_uppercase();
            (!n.is_empty()).then_some(Param { name: n, values })
        })
        .collect();
    Some(Property {
        name,
        params,
        value: value.to_string(),
    })
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if c == sep && !in_quotes {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// Undoes folding: a line break followed by a space or tab continues the line.
pub fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
                continue;
            }
        }
        if !raw.is_empty() {
            lines.push(raw.to_string());
        }
    }
    lines
}

/// The text of an escaped TEXT value (RFC 5545 3.3.11).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The values of a multi-valued TEXT property (`CATEGORIES:a,b\,c`), unescaped.
pub fn split_text_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push('\\');
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            ',' => out.push(unescape(&std::mem::take(&mut current))),
            c => current.push(c),
        }
    }
    out.push(unescape(&current));
    out.retain(|v| !v.trim().is_empty());
    out
}

/// A parameter value, quoted when it holds `:`, `;` or `,` (RFC 5545 3.1; `"` cannot be
/// written and is dropped).
fn param_value(v: &str) -> String {
    let clean: String = v.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// The unfolded content line of a property.
pub fn line_of(p: &Property) -> String {
    let mut line = p.name.clone();
    for param in &p.params {
        line.push(';');
        line.push_str(&param.name);
        if !param.values.is_empty() {
            line.push('=');
            let values: Vec<String> = param.values.iter().map(|v| param_value(v)).collect();
            line.push_str(&values.join(","));
        }
    }
    line.push(':');
    line.push_str(&p.value);
    line
}

/// Appends a content line, folded so that no line exceeds 75 octets (RFC 5545 3.1), never
/// inside a UTF-8 character, each ended by CRLF.
pub fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_at_the_first_colon_outside_quotes() {
        let p =
            split_line(r#"ATTENDEE;CN="Doe, Jane";ROLE=REQ-PARTICIPANT:mailto:jane@example.com"#)
                .expect("a line");
        assert_eq!(p.name, "ATTENDEE");
        assert_eq!(p.param("CN"), Some("Doe, Jane"));
        assert_eq!(p.param("role"), Some("REQ-PARTICIPANT"));
        assert_eq!(p.value, "mailto:jane@example.com");
        assert_eq!(split_line("no colon"), None);
        assert_eq!(split_line(":value"), None);
    }

    #[test]
    fn lines_written_read_back() {
        let p = Property {
            name: "X-THING".into(),
            params: vec![Param::new("X-A", &["a:b", "c"]), Param::new("X-B", &["d"])],
            value: "v\\;w".into(),
        };
        assert_eq!(line_of(&p), r#"X-THING;X-A="a:b",c;X-B=d:v\;w"#);
        assert_eq!(split_line(&line_of(&p)), Some(p));
    }

    #[test]
    fn text_escapes_both_ways() {
        let text = "a, b; c\\d\nnext";
        assert_eq!(escape(text), "a\\, b\\; c\\\\d\\nnext");
        assert_eq!(unescape(&escape(text)), text);
        assert_eq!(escape("x\r\ny"), "x\\ny");
        assert_eq!(
            split_text_list("Work,Home\\, garden,,"),
            ["Work", "Home, garden"]
        );
    }

    #[test]
    fn folding_keeps_lines_within_75_octets_and_characters_whole() {
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        let mut out = String::new();
        push_folded(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        assert_eq!(unfold(&out), vec![line]);
    }
}
