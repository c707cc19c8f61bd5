//! The byte format of a [`CollectionState`]: varints, ids prefix-compressed in id order, deltas for counters
//! and dates. Decoding checks every length and count, so corrupt bytes are a [`StateError`], never a panic.
//!
//! Layout (format 1): `"ESS" 1`, key (generation, counter), filter code, cursor (modseq, id), held items
//! (count, then per item: shared-prefix length, suffix, zigzag modseq delta with a has-date bit, zigzag date
//! delta), previous state (flag, key, filter, cursor, undo entries), last client operations (adds, changes).

use std::collections::BTreeMap;

use crate::error::StateError;
use crate::filter::FilterType;
use crate::item::Cursor;
use crate::key::SyncKey;
use crate::state::{ClientAdd, ClientLog, CollectionState, Previous, Stamp};

const MAGIC: &[u8; 3] = b"ESS";
const VERSION: u8 = 1;

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u128) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn u64(&mut self, v: u64) {
        self.varint(u128::from(v));
    }

    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn cursor(&mut self, c: &Cursor) {
        self.u64(c.modseq);
        self.bytes(c.id.as_bytes());
    }

    fn stamp(&mut self, s: &Stamp) {
        self.u64(s.modseq);
        match s.date {
            None => self.0.push(0),
            Some(d) => {
                self.0.push(1);
                self.u64(zigzag(d));
            }
        }
    }

    fn key(&mut self, k: SyncKey) {
        self.u64(u64::from(k.generation()));
        self.u64(k.counter());
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, StateError> {
        let (&b, rest) = self.0.split_first().ok_or(StateError::Truncated)?;
        self.0 = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u128, StateError> {
        let mut v: u128 = 0;
        for shift in (0..128).step_by(7) {
            let b = self.byte()?;
            v |= u128::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or(StateError::Malformed("varint too long"))?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StateError::Malformed("varint too long"))
    }

    fn u64(&mut self) -> Result<u64, StateError> {
        u64::try_from(self.varint()?).map_err(|_| StateError::Malformed("number too large"))
    }

    /// A count of entries that each take at least one byte, so a corrupt count cannot allocate much.
    fn count(&mut self) -> Result<usize, StateError> {
        let n = self.u64()?;
        if n > self.0.len() as u64 {
            return Err(StateError::Truncated);
        }
        Ok(n as usize)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if n > self.0.len() {
            return Err(StateError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn string(&mut self) -> Result<String, StateError> {
        let n = self.count()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| StateError::Malformed("id is not utf-8"))
    }

    fn cursor(&mut self) -> Result<Cursor, StateError> {
        Ok(Cursor {
            modseq: self.u64()?,
            id: self.string()?,
        })
    }

    fn stamp(&mut self) -> Result<Stamp, StateError> {
        let modseq = self.u64()?;
        let date = match self.byte()? {
            0 => None,
            1 => Some(unzigzag(self.u64()?)),
            _ => return Err(StateError::Malformed("date tag")),
        };
        Ok(Stamp { modseq, date })
    }

    fn key(&mut self) -> Result<SyncKey, StateError> {
        let generation =
            u32::try_from(self.u64()?).map_err(|_| StateError::Malformed("key generation"))?;
        Ok(SyncKey::new(generation, self.u64()?))
    }

    fn filter(&mut self) -> Result<FilterType, StateError> {
        FilterType::from_code(self.byte()?).ok_or(StateError::Malformed("filter type"))
    }
}

fn write_held(w: &mut Writer, held: &BTreeMap<String, Stamp>) {
    w.u64(held.len() as u64);
    let (mut prev_id, mut prev_modseq, mut prev_date): (&[u8], u64, i64) = (&[], 0, 0);
    for (id, stamp) in held {
        let id = id.as_bytes();
        let shared = id.iter().zip(prev_id).take_while(|(a, b)| a == b).count();
        w.u64(shared as u64);
        w.bytes(&id[shared..]);
        let delta = zigzag(stamp.modseq.wrapping_sub(prev_modseq) as i64);
        w.varint((u128::from(delta) << 1) | u128::from(stamp.date.is_some()));
        if let Some(date) = stamp.date {
            w.u64(zigzag(date.wrapping_sub(prev_date)));
            prev_date = date;
        }
        (prev_id, prev_modseq) = (id, stamp.modseq);
    }
}

fn read_held(r: &mut Reader<'_>) -> Result<BTreeMap<String, Stamp>, StateError> {
    let n = r.count()?;
    let mut held = BTreeMap::new();
    let (mut prev_id, mut prev_modseq, mut prev_date) = (Vec::<u8>::new(), 0u64, 0i64);
    for _ in 0..n {
        let shared = r.count()?;
        if shared > prev_id.len() {
            return Err(StateError::Malformed("id prefix"));
        }
        let suffix_len = r.count()?;
        let mut id = prev_id[..shared].to_vec();
        id.extend_from_slice(r.take(suffix_len)?);
        if !prev_id.is_empty() && id <= prev_id {
            return Err(StateError::Malformed("held ids out of order"));
        }
        let packed = r.varint()?;
        let delta = u64::try_from(packed >> 1).map_err(|_| StateError::Malformed("modseq"))?;
        let modseq = prev_modseq.wrapping_add(unzigzag(delta) as u64);
        let date = if packed & 1 == 1 {
            let date = prev_date.wrapping_add(unzigzag(r.u64()?));
            prev_date = date;
            Some(date)
        } else {
            None
        };
        let text =
            String::from_utf8(id.clone()).map_err(|_| StateError::Malformed("id is not utf-8"))?;
        held.insert(text, Stamp { modseq, date });
        (prev_id, prev_modseq) = (id, modseq);
    }
    Ok(held)
}

impl CollectionState {
    /// The state as compact bytes for the device store.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64 + self.held.len() * 12));
        w.0.extend_from_slice(MAGIC);
        w.0.push(VERSION);
        w.key(self.key);
        w.0.push(self.filter.code());
        w.cursor(&self.cursor);
        write_held(&mut w, &self.held);
        match &self.previous {
            None => w.0.push(0),
            Some(p) => {
                w.0.push(1);
                w.key(p.key);
                w.0.push(p.filter.code());
                w.cursor(&p.cursor);
                w.u64(p.undo.len() as u64);
                for (id, prior) in &p.undo {
                    w.bytes(id.as_bytes());
                    match prior {
                        None => w.0.push(0),
                        Some(s) => {
                            w.0.push(1);
                            w.stamp(s);
                        }
                    }
                }
            }
        }
        w.u64(self.last_client.adds.len() as u64);
        for add in &self.last_client.adds {
            w.bytes(add.client_id.as_bytes());
            w.bytes(add.id.as_bytes());
            w.stamp(&add.stamp);
        }
        w.u64(self.last_client.changes.len() as u64);
        for (id, stamp) in &self.last_client.changes {
            w.bytes(id.as_bytes());
            w.stamp(stamp);
        }
        w.0
    }

    /// Reads back what [`CollectionState::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader(bytes);
        if r.take(3).map_err(|_| StateError::BadMagic)? != MAGIC {
            return Err(StateError::BadMagic);
        }
        let version = r.byte()?;
        if version != VERSION {
            return Err(StateError::UnsupportedVersion(version));
        }
        let key = r.key()?;
        let filter = r.filter()?;
        let cursor = r.cursor()?;
        let held = read_held(&mut r)?;
        let previous = match r.byte()? {
            0 => None,
            1 => {
                let key = r.key()?;
                let filter = r.filter()?;
                let cursor = r.cursor()?;
                let n = r.count()?;
                let mut undo = Vec::with_capacity(n);
                for _ in 0..n {
                    let id = r.string()?;
                    let prior = match r.byte()? {
                        0 => None,
                        1 => Some(r.stamp()?),
                        _ => return Err(StateError::Malformed("undo tag")),
                    };
                    undo.push((id, prior));
                }
                Some(Previous {
                    key,
                    filter,
                    cursor,
                    undo,
                })
            }
            _ => return Err(StateError::Malformed("previous tag")),
        };
        let mut last_client = ClientLog::default();
        for _ in 0..r.count()? {
            last_client.adds.push(ClientAdd {
                client_id: r.string()?,
                id: r.string()?,
                stamp: r.stamp()?,
            });
        }
        for _ in 0..r.count()? {
            last_client.changes.push((r.string()?, r.stamp()?));
        }
        if !r.0.is_empty() {
            return Err(StateError::Malformed("trailing bytes"));
        }
        Ok(Self {
            key,
            filter,
            cursor,
            held,
            previous,
            last_client,
        })
    }
}
