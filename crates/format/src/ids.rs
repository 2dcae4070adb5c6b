//! 128-bit random identifiers for members and parcels, written as 32 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is not exactly 32 lowercase hexadecimal digits.
    #[error("{what} must be 32 lowercase hexadecimal digits, got {got:?}")]
    Malformed {
        /// Which kind of identifier was expected.
        what: &'static str,
        /// The rejected text (identifiers are not secret).
        got: String,
    },
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// A fresh identifier from the operating system's random number generator.
            ///
            /// # Panics
            /// If the OS has no usable random source; nothing safe can be done without one.
            pub fn random() -> Self {
                let mut bytes = [0u8; 16];
                getrandom::getrandom(&mut bytes).expect("the OS random number generator failed");
                Self(bytes)
            }

            /// The identifier's 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// An identifier from its 16 raw bytes.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                let malformed = || IdError::Malformed { what: $what, got: s.to_owned() };
                // HEXLOWER rejects uppercase, so each id has exactly one spelling.
                if s.len() != 32 {
                    return Err(malformed());
                }
                let bytes = data_encoding::HEXLOWER.decode(s.as_bytes()).map_err(|_| malformed())?;
                Ok(Self(bytes.try_into().map_err(|_| malformed())?))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A cluster member. Random, so it survives key rotation and reveals nothing about the person.
    MemberId,
    "a member id"
);
id_type!(
    /// A cluster. Random, chosen by the coordinator when the cluster is created.
    ClusterId,
    "a cluster id"
);
id_type!(
    /// A parcel. Random, chosen by the sender; recipients refuse a parcel id seen twice.
    ParcelId,
    "a parcel id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_and_json() {
        let id = ParcelId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<ParcelId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<ParcelId>(&json).unwrap(), id);
    }

    #[test]
    fn rejects_other_spellings() {
        let good = "00112233445566778899aabbccddeeff";
        assert!(good.parse::<MemberId>().is_ok());
        for bad in [
            "00112233445566778899AABBCCDDEEFF",
            "00112233445566778899aabbccddeef",
            "00112233445566778899aabbccddeeff0",
            "0011223344556677 899aabbccddeeff",
            "",
        ] {
            let err = bad.parse::<MemberId>().unwrap_err();
            assert!(err.to_string().contains("member id"), "{err}");
        }
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(MemberId::random(), MemberId::random());
    }
}
