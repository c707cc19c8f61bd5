//! One mapping between an event's UID and the `GlobalObjId` of meeting requests (MS-ASEMAIL
//! 2.2.2.37), both ways, so that a meeting request and the calendar item it becomes are the
//! same item to a phone (PIM_FACTS 2.1, 6.12: a UID derived two ways showed meetings twice).
//!
//! `CLASSID (16) | INSTDATE (4) | NOW (8) | RESERVED (8) | BYTECOUNT (u32 LE) | DATA`, where DATA
//! is Outlook's own id, or `"vCal-Uid" 01 00 00 00 <UID> 00` for any other UID.

use base64::Engine as _;

/// The CLASSID that starts every GlobalObjId.
pub const CLASS_ID: [u8; 16] = [
    0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08,
];

const VCAL_MARK: &[u8] = b"vCal-Uid";
const HEADER_LEN: usize = 40;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The GlobalObjId of a series with this UID. A UID that is itself an Outlook GlobalObjId in
/// hex (how [`goid_to_uid`] names Outlook meetings) becomes those bytes again; any other UID is
/// wrapped in the `vCal-Uid` form, with NOW zero so the same UID always gives the same bytes.
pub fn uid_to_goid(uid: &str) -> Vec<u8> {
    if let Some(bytes) = unhex(uid) {
        if bytes.len() >= HEADER_LEN && bytes[..16] == CLASS_ID {
            return bytes;
        }
    }
    let data_len = VCAL_MARK.len() + 4 + uid.len() + 1;
    let mut out = Vec::with_capacity(HEADER_LEN + data_len);
    out.extend_from_slice(&CLASS_ID);
    out.extend_from_slice(&[0; 20]);
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    out.extend_from_slice(VCAL_MARK);
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(uid.as_bytes());
    out.push(0);
    out
}

/// The UID of the series a GlobalObjId belongs to: the UID inside a `vCal-Uid` form (found at
/// its place, whatever BYTECOUNT says: Horde writes the UID's length there), else the whole id
/// in upper-case hex with the instance date (bytes 16 to 19) zeroed, so that every occurrence's
/// request names the series. `None` for bytes that are not a GlobalObjId.
pub fn goid_to_uid(goid: &[u8]) -> Option<String> {
    if goid.len() < HEADER_LEN || goid[..16] != CLASS_ID {
        return None;
    }
    let data = &goid[HEADER_LEN..];
    if data.starts_with(VCAL_MARK) && data.len() >= VCAL_MARK.len() + 4 {
        let uid = &data[VCAL_MARK.len() + 4..];
        let end = uid.iter().position(|b| *b == 0).unwrap_or(uid.len());
        return String::from_utf8(uid[..end].to_vec()).ok();
    }
    let mut series = goid.to_vec();
    series[16..20].fill(0);
    Some(hex(&series))
}

/// [`uid_to_goid`] as the base64 an EAS `GlobalObjId` element carries.
pub fn uid_to_goid_base64(uid: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(uid_to_goid(uid))
}

/// [`goid_to_uid`] of a `GlobalObjId` element's base64.
pub fn goid_base64_to_uid(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    goid_to_uid(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_goes_to_a_vcal_goid_and_back() {
        let uid = "040000008200E000-not-hex@example.com";
        let g = uid_to_goid(uid);
        assert_eq!(&g[..16], &CLASS_ID);
        assert_eq!(&g[40..48], b"vCal-Uid");
        assert_eq!(goid_to_uid(&g).as_deref(), Some(uid));
        assert_eq!(
            goid_base64_to_uid(&uid_to_goid_base64(uid)).as_deref(),
            Some(uid)
        );
        assert_eq!(uid_to_goid(uid), g, "the same bytes every time");
    }

    #[test]
    fn an_outlook_goid_is_named_by_its_hex_and_every_occurrence_names_the_series() {
        let mut g = CLASS_ID.to_vec();
        g.extend_from_slice(&[0x07, 0xEA, 0x03, 0x0A]); // instance 2026-03-10
        g.extend_from_slice(&[0x11; 8]);
        g.extend_from_slice(&[0; 8]);
        g.extend_from_slice(&16u32.to_le_bytes());
        g.extend_from_slice(&[0xAB; 16]);
        let uid = goid_to_uid(&g).expect("a goid");
        assert!(uid.starts_with("040000008200E00074C5B7101A82E00800000000"));
        let mut series = g.clone();
        series[16..20].fill(0);
        assert_eq!(uid_to_goid(&uid), series);
        assert_eq!(goid_to_uid(&series), Some(uid));
    }

    #[test]
    fn horde_s_byte_count_and_bad_input() {
        let mut g = uid_to_goid("abc");
        g[36..40].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(goid_to_uid(&g).as_deref(), Some("abc"));
        assert_eq!(goid_to_uid(b"short"), None);
        assert_eq!(goid_to_uid(&[0u8; 60]), None);
        assert_eq!(goid_base64_to_uid("!!"), None);
    }
}
