//! Canonical JSON for event payloads: the one byte form a value hashes as.
//!
//! Rules (SPEC.md, "Ledger: events, encoding, hashing"): serde_json's compact output
//! (no whitespace), object keys sorted by their UTF-8 bytes at every level, floats
//! finite (NaN and ±inf are rejected, naming the field) with -0.0 written as 0.0, and
//! integers wider than 64 bits carried as decimal strings by the types themselves
//! (`crate::v3::num::dec_u256`). Key order is sorted here explicitly, so the result
//! does not depend on serde_json's `preserve_order` feature.

use serde::ser::{self, Serialize};
use serde_json::Value;

/// Why a value has no canonical JSON form, or bytes are not in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// A float that is NaN or infinite, at the given JSON path (`$.a.b[2]`).
    #[error("non-finite float {value} at {path}: payloads must hold finite numbers")]
    NonFinite { path: String, value: f64 },
    /// serde_json could not serialize the value (e.g. a map with non-string keys).
    #[error("payload cannot be serialized as JSON: {reason}")]
    Serialize { reason: String },
    /// Raw payload bytes that are not JSON at all.
    #[error("payload is not valid JSON: {reason}")]
    NotJson { reason: String },
    /// Raw payload bytes that are JSON but not in canonical form.
    #[error("payload is not canonical JSON (first difference at byte {offset}); produce it with canonical_json")]
    NotCanonical { offset: usize },
}

/// The canonical JSON bytes of `value`.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    value
        .serialize(FiniteCheck)
        .map_err(CheckError::into_canonical)?;
    let mut v = serde_json::to_value(value).map_err(|e| CanonicalError::Serialize {
        reason: e.to_string(),
    })?;
    normalise_zero(&mut v);
    let mut out = Vec::with_capacity(256);
    write_value(&v, &mut out)?;
    Ok(out)
}

/// Checks that `bytes` are exactly the canonical JSON of the value they parse to.
pub fn check_canonical(bytes: &[u8]) -> Result<(), CanonicalError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| CanonicalError::NotJson {
        reason: e.to_string(),
    })?;
    let canon = canonical_json(&v)?;
    if canon.as_slice() == bytes {
        return Ok(());
    }
    let offset = canon
        .iter()
        .zip(bytes)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| canon.len().min(bytes.len()));
    Err(CanonicalError::NotCanonical { offset })
}

fn normalise_zero(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                if n.is_f64() && f == 0.0 && f.is_sign_negative() {
                    if let Some(zero) = serde_json::Number::from_f64(0.0) {
                        *n = zero;
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise_zero),
        Value::Object(map) => map.values_mut().for_each(normalise_zero),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let scalar = |v: &Value, out: &mut Vec<u8>| {
        serde_json::to_writer(out, v).map_err(|e| CanonicalError::Serialize {
            reason: e.to_string(),
        })
    };
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => scalar(v, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).map_err(|e| CanonicalError::Serialize {
                    reason: e.to_string(),
                })?;
                out.push(b':');
                write_value(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A serializer that produces nothing and fails on the first non-finite float. serde_json
/// silently writes NaN and infinities as `null`, so they must be caught before it runs.
#[derive(Clone, Copy)]
struct FiniteCheck;

/// The failure of [`FiniteCheck`], with the path segments collected while unwinding
/// (innermost first), so the happy path allocates nothing.
#[derive(Debug)]
struct CheckError {
    segments: Vec<String>,
    non_finite: Option<f64>,
    message: String,
}

impl CheckError {
    fn at(mut self, segment: String) -> Self {
        self.segments.push(segment);
        self
    }

    fn into_canonical(self) -> CanonicalError {
        let mut path = String::from("$");
        for s in self.segments.iter().rev() {
            path.push_str(s);
        }
        match self.non_finite {
            Some(value) => CanonicalError::NonFinite { path, value },
            None => CanonicalError::Serialize {
                reason: format!("{} at {path}", self.message),
            },
        }
    }
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CheckError {}

impl ser::Error for CheckError {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        CheckError {
            segments: Vec::new(),
            non_finite: None,
            message: msg.to_string(),
        }
    }
}

fn check_float(f: f64) -> Result<(), CheckError> {
    if f.is_finite() {
        Ok(())
    } else {
        Err(CheckError {
            segments: Vec::new(),
            non_finite: Some(f),
            message: format!("non-finite float {f}"),
        })
    }
}

fn field(name: &str) -> String {
    format!(".{name}")
}

fn index(i: usize) -> String {
    format!("[{i}]")
}

impl ser::Serializer for FiniteCheck {
    type Ok = ();
    type Error = CheckError;
    type SerializeSeq = SeqCheck;
    type SerializeTuple = SeqCheck;
    type SerializeTupleStruct = SeqCheck;
    type SerializeTupleVariant = SeqCheck;
    type SerializeMap = MapCheck;
    type SerializeStruct = StructCheck;
    type SerializeStructVariant = StructCheck;

    fn serialize_bool(self, _: bool) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), CheckError> {
        check_float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CheckError> {
        check_float(v)
    }
    fn serialize_char(self, _: char) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), CheckError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), CheckError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), CheckError> {
        v.serialize(self).map_err(|e| e.at(field(variant)))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqCheck, CheckError> {
        Ok(SeqCheck {
            next: 0,
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqCheck, CheckError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqCheck, CheckError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<SeqCheck, CheckError> {
        Ok(SeqCheck {
            next: 0,
            variant: Some(variant),
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapCheck, CheckError> {
        Ok(MapCheck)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<StructCheck, CheckError> {
        Ok(StructCheck { variant: None })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<StructCheck, CheckError> {
        Ok(StructCheck {
            variant: Some(variant),
        })
    }
}

struct SeqCheck {
    next: usize,
    variant: Option<&'static str>,
}

impl SeqCheck {
    fn element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        let i = self.next;
        self.next += 1;
        v.serialize(FiniteCheck).map_err(|e| {
            let e = e.at(index(i));
            match self.variant {
                Some(name) => e.at(field(name)),
                None => e,
            }
        })
    }
}

impl ser::SerializeSeq for SeqCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        self.element(v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTuple for SeqCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        self.element(v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for SeqCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        self.element(v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for SeqCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        self.element(v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

struct MapCheck;

impl ser::SerializeMap for MapCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), CheckError> {
        k.serialize(FiniteCheck)
            .map_err(|e| e.at("{key}".to_owned()))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), CheckError> {
        v.serialize(FiniteCheck)
            .map_err(|e| e.at("{value}".to_owned()))
    }
    fn serialize_entry<K: ?Sized + Serialize, V: ?Sized + Serialize>(
        &mut self,
        k: &K,
        v: &V,
    ) -> Result<(), CheckError> {
        self.serialize_key(k)?;
        v.serialize(FiniteCheck).map_err(|e| {
            let name = serde_json::to_string(k).unwrap_or_else(|_| "{key}".to_owned());
            e.at(format!("[{name}]"))
        })
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

struct StructCheck {
    variant: Option<&'static str>,
}

impl StructCheck {
    fn member<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), CheckError> {
        v.serialize(FiniteCheck).map_err(|e| {
            let e = e.at(field(key));
            match self.variant {
                Some(name) => e.at(field(name)),
                None => e,
            }
        })
    }
}

impl ser::SerializeStruct for StructCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), CheckError> {
        self.member(key, v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for StructCheck {
    type Ok = ();
    type Error = CheckError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), CheckError> {
        self.member(key, v)
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::num::dec_u256;
    use crate::v3::U256;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        z: f64,
        a: Vec<f32>,
    }

    #[derive(Serialize)]
    struct Outer {
        zeta: u32,
        alpha: Inner,
        #[serde(with = "dec_u256")]
        amount: U256,
        tags: BTreeMap<String, f64>,
    }

    fn outer(z: f64, tag: f64) -> Outer {
        let mut tags = BTreeMap::new();
        tags.insert("b".to_owned(), tag);
        tags.insert("a".to_owned(), 1.5);
        Outer {
            zeta: 1,
            alpha: Inner {
                z,
                a: vec![0.25, 2.0],
            },
            amount: U256::MAX,
            tags,
        }
    }

    fn text(v: &impl Serialize) -> String {
        String::from_utf8(canonical_json(v).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn keys_sorted_compact_and_big_integers_as_strings() {
        assert_eq!(
            text(&outer(-1.0, 3.0)),
            format!(
                r#"{{"alpha":{{"a":[0.25,2.0],"z":-1.0}},"amount":"{}","tags":{{"a":1.5,"b":3.0}},"zeta":1}}"#,
                U256::MAX
            )
        );
    }

    #[test]
    fn negative_zero_is_normalised() {
        assert_eq!(text(&-0.0f64), "0.0");
        assert_eq!(text(&vec![-0.0f64, 0.0]), "[0.0,0.0]");
        assert_eq!(
            canonical_json(&outer(-0.0, 1.0)),
            canonical_json(&outer(0.0, 1.0))
        );
    }

    #[test]
    fn non_finite_rejected_with_path() {
        assert_eq!(
            canonical_json(&outer(f64::NAN, 1.0)).map_err(|e| match e {
                CanonicalError::NonFinite { path, .. } => path,
                other => other.to_string(),
            }),
            Err("$.alpha.z".to_owned())
        );
        assert!(matches!(
            canonical_json(&outer(1.0, f64::INFINITY)),
            Err(CanonicalError::NonFinite { ref path, value }) if path == "$.tags[\"b\"]" && value == f64::INFINITY
        ));
        assert!(matches!(
            canonical_json(&vec![1.0f32, f32::NEG_INFINITY]),
            Err(CanonicalError::NonFinite { ref path, .. }) if path == "$[1]"
        ));
        #[derive(Serialize)]
        enum E {
            V { x: f64 },
        }
        assert!(matches!(
            canonical_json(&E::V { x: f64::NAN }),
            Err(CanonicalError::NonFinite { ref path, .. }) if path == "$.V.x"
        ));
    }

    #[test]
    fn check_canonical_accepts_only_canonical_bytes() {
        let bytes = canonical_json(&outer(2.0, 1.0)).unwrap_or_default();
        assert_eq!(check_canonical(&bytes), Ok(()));
        assert_eq!(
            check_canonical(br#"{"b":1,"a":2}"#),
            Err(CanonicalError::NotCanonical { offset: 2 })
        );
        assert!(matches!(
            check_canonical(br#"{"a": 2}"#),
            Err(CanonicalError::NotCanonical { .. })
        ));
        assert!(matches!(
            check_canonical(b"-0.0"),
            Err(CanonicalError::NotCanonical { .. })
        ));
        assert!(matches!(
            check_canonical(b"{nope"),
            Err(CanonicalError::NotJson { .. })
        ));
    }

    #[test]
    fn same_value_same_bytes_whatever_the_insertion_order() {
        let mut a = serde_json::Map::new();
        a.insert("y".into(), Value::from(1));
        a.insert("x".into(), Value::from(2));
        let mut b = serde_json::Map::new();
        b.insert("x".into(), Value::from(2));
        b.insert("y".into(), Value::from(1));
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(text(&a), r#"{"x":2,"y":1}"#);
    }
}
