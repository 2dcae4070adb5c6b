//! Serde helpers for bytes carried inside JSON envelopes as unpadded base64url text.

use data_encoding::BASE64URL_NOPAD;
use serde::{Deserialize, Deserializer, Serializer};

/// `Vec<u8>` as base64url text.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64URL_NOPAD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("not unpadded base64url"))
    }
}

/// A fixed-size byte array (signature, MAC) as base64url text.
pub(crate) mod array {
    use super::*;

    pub(crate) fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64URL_NOPAD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let bytes = bytes::deserialize(d)?;
        let len = bytes.len();
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} bytes, got {len}")))
    }
}
