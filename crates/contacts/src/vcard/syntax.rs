//! vCard content lines (RFC 2426 section 4 and RFC 6350 section 3, with what vCard 2.1 files
//! from phones still carry): unfolding and folding, groups, parameters with quoted values and
//! RFC 6868 caret escapes, and value escaping that keeps the `;` and `,` structure of a value.
//!
//! A [`Property`] keeps its value as written (escaped), so a property this crate does not map is
//! written back exactly, structure included.

use serde::{Deserialize, Serialize};

/// One parameter: an upper-case name and its values (`TYPE=WORK,VOICE` has two).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub values: Vec<String>,
}

impl Param {
    pub fn new(name: &str, values: &[&str]) -> Param {
        Param {
            name: name.to_ascii_uppercase(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// One content line: `[group.]NAME[;params]:value`, the value still escaped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    pub value: String,
}

impl Property {
    /// A property holding one text value (escaped here).
    pub fn text(name: &str, value: &str) -> Property {
        Property {
            group: None,
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: escape(value),
        }
    }

    /// A property holding a structured value: components separated by `;`, each a list of
    /// values separated by `,` (`N`, `ADR`, `ORG`).
    pub fn structured(name: &str, components: &[Vec<String>]) -> Property {
        Property {
            group: None,
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: join_components(components),
        }
    }

    /// A property whose value is written as given (a URI, a date).
    pub fn raw(name: &str, value: &str) -> Property {
        Property {
            group: None,
            name: name.to_ascii_uppercase(),
            params: Vec::new(),
            value: value.to_string(),
        }
    }

    pub fn with_params(mut self, params: Vec<Param>) -> Property {
        self.params = params;
        self
    }

    pub fn with_group(mut self, group: Option<String>) -> Property {
        self.group = group;
        self
    }

    /// The value as one unescaped text.
    pub fn text_value(&self) -> String {
        unescape(&self.value)
    }

    /// The value split into `;` components, each split into `,` values, all unescaped.
    pub fn components(&self) -> Vec<Vec<String>> {
        split_unescaped(&self.value, ';')
            .into_iter()
            .map(|c| split_unescaped(c, ',').into_iter().map(unescape).collect())
            .collect()
    }

    /// The values of a parameter, upper-cased names compared.
    pub fn param<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
            .flat_map(|p| p.values.iter().map(String::as_str))
    }

    /// Whether `TYPE` (or a vCard 2.1 bare type) includes `value`, case-insensitively.
    pub fn has_type(&self, value: &str) -> bool {
        self.param("TYPE").any(|t| t.eq_ignore_ascii_case(value))
    }

    /// The types, upper-cased.
    pub fn types(&self) -> Vec<String> {
        self.param("TYPE").map(|t| t.to_ascii_uppercase()).collect()
    }

    /// Removes every parameter of this name.
    pub fn remove_param(&mut self, name: &str) {
        self.params.retain(|p| !p.name.eq_ignore_ascii_case(name));
    }

    /// Writes the content line, folded, with CRLF (RFC 6350 3.2, RFC 2426 2.6).
    pub fn write_to(&self, out: &mut String, v4: bool) {
        let mut line = String::new();
        if let Some(g) = &self.group {
            line.push_str(g);
            line.push('.');
        }
        line.push_str(&self.name);
        for p in &self.params {
            line.push(';');
            line.push_str(&p.name);
            if p.values.is_empty() {
                continue;
            }
            line.push('=');
            for (i, v) in p.values.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                write_param_value(&mut line, v, v4);
            }
        }
        line.push(':');
        line.push_str(&self.value);
        fold_into(out, &line);
    }
}

/// RFC 6350 3.3: a parameter value is quoted when it holds `:`, `;` or `,`; RFC 6868 writes
/// `"`, line breaks and `^` with a caret in vCard 4.0 (3.0 cannot carry them; `"` becomes `'`).
fn write_param_value(out: &mut String, v: &str, v4: bool) {
    let needs_quotes = v.contains([':', ';', ',']) || v.contains(char::is_whitespace);
    let mut text = String::new();
    for ch in v.chars() {
        match ch {
            '"' if v4 => text.push_str("^'"),
            '"' => text.push('\''),
            '\n' if v4 => text.push_str("^n"),
            '\n' | '\r' => text.push(' '),
            '^' if v4 => text.push_str("^^"),
            c => text.push(c),
        }
    }
    if needs_quotes {
        out.push('"');
        out.push_str(&text);
        out.push('"');
    } else {
        out.push_str(&text);
    }
}

/// Folds a logical line at 75 octets without splitting a UTF-8 character, CRLF + space.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for ch in line.chars() {
        let len = ch.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += len;
    }
    out.push_str("\r\n");
}

/// RFC 6350 3.4 / RFC 2426 4: backslash, line break, comma and semicolon are escaped in text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`]; `\n` and `\N` are line breaks, `\:` is accepted (some writers use it),
/// an unknown escape keeps its backslash.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(c @ ('\\' | ',' | ';' | ':')) => out.push(c),
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a raw value on a separator that is not escaped.
fn split_unescaped(raw: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, ch) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == sep {
            parts.push(&raw[start..i]);
            start = i + ch.len_utf8();
        }
    }
    parts.push(&raw[start..]);
    parts
}

/// Joins components (each a list of values) into a raw structured value.
pub fn join_components(components: &[Vec<String>]) -> String {
    components
        .iter()
        .map(|c| c.iter().map(|v| escape(v)).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join(";")
}

/// A line that is not a content line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("line {line}: no ':' after the property name")]
    NoColon { line: usize },
    #[error("line {line}: empty property name")]
    NoName { line: usize },
    #[error("line {line}: unterminated quoted parameter value")]
    OpenQuote { line: usize },
}

/// A content line with the number of the physical line it started on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub property: Property,
}

/// Unfolds `text` into logical lines (with their first physical line number). A line ending in
/// `=` inside a vCard 2.1 QUOTED-PRINTABLE value continues on the next line (a soft break).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut qp_continues = false;
    for (i, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let folded = physical.starts_with([' ', '\t']);
        match out.last_mut() {
            Some((_, last)) if qp_continues => {
                last.pop();
                last.push_str(physical);
            }
            Some((_, last)) if folded => last.push_str(&physical[1..]),
            _ => out.push((i + 1, physical.to_string())),
        }
        qp_continues = out.last().is_some_and(|(_, l)| {
            l.ends_with('=')
                && header_of(l)
                    .to_ascii_uppercase()
                    .contains("QUOTED-PRINTABLE")
        });
    }
    out.retain(|(_, l)| !l.trim().is_empty());
    out
}

/// The part of a line before the first `:` that is not inside quotes.
fn header_of(line: &str) -> &str {
    let mut quoted = false;
    for (i, ch) in line.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ':' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// RFC 6868: `^n` line break, `^^` caret, `^'` double quote.
fn caret_decode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '^' {
            match chars.peek() {
                Some('n') | Some('N') => {
                    out.push('\n');
                    chars.next();
                }
                Some('^') => {
                    out.push('^');
                    chars.next();
                }
                Some('\'') => {
                    out.push('"');
                    chars.next();
                }
                _ => out.push('^'),
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// Parses one logical line.
fn parse_line(number: usize, line: &str) -> Result<Property, SyntaxError> {
    let header = header_of(line);
    if header.len() == line.len() {
        return Err(SyntaxError::NoColon { line: number });
    }
    let value = line[header.len() + 1..].to_string();
    // Split the header on ';' outside quotes.
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in header.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if quoted {
        return Err(SyntaxError::OpenQuote { line: number });
    }
    pieces.push(current);
    let mut pieces = pieces.into_iter();
    let full_name = pieces.next().unwrap_or_default();
    let (group, name) = match full_name.rsplit_once('.') {
        Some((g, n)) => (Some(g.trim().to_string()), n.trim().to_ascii_uppercase()),
        None => (None, full_name.trim().to_ascii_uppercase()),
    };
    if name.is_empty() {
        return Err(SyntaxError::NoName { line: number });
    }
    let mut params: Vec<Param> = Vec::new();
    for piece in pieces {
        let (pname, pvalues) = match piece.split_once('=') {
            // RFC 6350 6.4.1 writes several types in one quoted value: `TYPE="voice,home"`.
            Some((n, v)) if n.trim().eq_ignore_ascii_case("TYPE") => (
                "TYPE".to_string(),
                split_param_values(v)
                    .iter()
                    .flat_map(|t| t.split(','))
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            ),
            Some((n, v)) => (n.trim().to_ascii_uppercase(), split_param_values(v)),
            // vCard 2.1: `TEL;CELL;VOICE:` lists types without a name.
            None => ("TYPE".to_string(), vec![piece.trim().to_string()]),
        };
        if pname.is_empty() {
            continue;
        }
        match params.iter_mut().find(|p| p.name == pname) {
            // RFC 2426: `TYPE=WORK;TYPE=VOICE` is one parameter with two values.
            Some(p) => p.values.extend(pvalues),
            None => params.push(Param {
                name: pname,
                values: pvalues,
            }),
        }
    }
    Ok(Property {
        group,
        name,
        params,
        value,
    })
}

/// Splits parameter values on `,` outside quotes, dropping the quotes.
fn split_param_values(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in v.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(caret_decode(std::mem::take(&mut current).trim())),
            c => current.push(c),
        }
    }
    out.push(caret_decode(current.trim()));
    out.retain(|s| !s.is_empty());
    out
}

/// Every content line of a text.
pub fn parse_lines(text: &str) -> Result<Vec<Line>, SyntaxError> {
    logical_lines(text)
        .into_iter()
        .map(|(number, l)| parse_line(number, &l).map(|property| Line { number, property }))
        .collect()
}

/// Decodes quoted-printable bytes (vCard 2.1 `ENCODING=QUOTED-PRINTABLE`); soft breaks were
/// already joined by the unfolding.
pub fn decode_quoted_printable(raw: &str) -> Vec<u8> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Text from bytes in a vCard 2.1 `CHARSET`: UTF-8 by default, ISO-8859-1 and Windows-1252 as
/// Latin-1; anything else is read as UTF-8 with replacement characters.
pub fn decode_charset(bytes: &[u8], charset: Option<&str>) -> String {
    match charset.map(|c| c.to_ascii_uppercase()) {
        Some(c) if c == "ISO-8859-1" || c == "LATIN1" || c == "WINDOWS-1252" || c == "CP1252" => {
            bytes.iter().map(|b| char::from(*b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_unfold_and_groups_and_params_are_read() {
        let text = "item1.EMAIL;type=INTERNET;type=WORK;X-Q=\"a:b;c\":jo\r\n hn@example.com\r\nTEL;CELL;VOICE:+1\n";
        let lines = parse_lines(text).expect("parses");
        assert_eq!(lines.len(), 2);
        let email = &lines[0].property;
        assert_eq!(email.group.as_deref(), Some("item1"));
        assert_eq!(email.name, "EMAIL");
        assert_eq!(email.value, "john@example.com");
        assert_eq!(email.types(), ["INTERNET", "WORK"]);
        assert_eq!(email.param("X-Q").collect::<Vec<_>>(), ["a:b;c"]);
        let tel = &lines[1].property;
        assert_eq!(lines[1].number, 3);
        assert!(tel.has_type("cell") && tel.has_type("VOICE"));
    }

    #[test]
    fn structure_survives_escaped_separators() {
        let p =
            parse_lines("X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Yu\\;Ko,x\\,y;;\r\n")
                .expect("parses")
                .remove(0)
                .property;
        assert_eq!(
            p.components(),
            vec![
                vec!["vnd.android.cursor.item/nickname".to_string()],
                vec!["Yu;Ko".to_string(), "x,y".to_string()],
                vec![String::new()],
                vec![String::new()],
            ]
        );
        let mut out = String::new();
        p.write_to(&mut out, false);
        assert_eq!(
            out,
            "X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Yu\\;Ko,x\\,y;;\r\n"
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_on_character_boundaries() {
        let p = Property::text("NOTE", &"é".repeat(60));
        let mut out = String::new();
        p.write_to(&mut out, true);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let back = parse_lines(&out).expect("parses").remove(0).property;
        assert_eq!(back.text_value(), "é".repeat(60));
    }

    #[test]
    fn escaping_round_trips_text() {
        let text = "a\\b, c; d\ne\r\nf";
        assert_eq!(unescape(&escape(text)), "a\\b, c; d\ne\nf");
        assert_eq!(unescape("x\\:y\\Nz\\q"), "x:y\nz\\q");
    }

    #[test]
    fn quoted_printable_soft_breaks_and_charsets_decode() {
        let text =
            "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:J=C3=B6rg=\r\n and=0D=0Amore\r\nFN:x\r\n";
        let lines = parse_lines(text).expect("parses");
        assert_eq!(lines.len(), 2);
        let bytes = decode_quoted_printable(&lines[0].property.value);
        assert_eq!(decode_charset(&bytes, Some("UTF-8")), "Jörg and\r\nmore");
        assert_eq!(decode_charset(&[0x4A, 0xF6], Some("ISO-8859-1")), "Jö");
    }

    #[test]
    fn parameter_values_with_specials_are_quoted_and_caret_encoded() {
        let p = Property::text("ADR", "x").with_params(vec![Param::new(
            "LABEL",
            &["1 Main St\nSpringfield, \"IL\""],
        )]);
        let mut v4 = String::new();
        p.write_to(&mut v4, true);
        let back = parse_lines(&v4).expect("parses").remove(0).property;
        assert_eq!(
            back.param("LABEL").collect::<Vec<_>>(),
            ["1 Main St\nSpringfield, \"IL\""]
        );
    }

    #[test]
    fn a_line_without_colon_is_an_error_with_its_number() {
        assert_eq!(
            parse_lines("BEGIN:VCARD\r\nFN Jane\r\n"),
            Err(SyntaxError::NoColon { line: 2 })
        );
        assert_eq!(
            parse_lines("X;A=\"open:x\r\n"),
            Err(SyntaxError::NoColon { line: 1 })
        );
    }
}
