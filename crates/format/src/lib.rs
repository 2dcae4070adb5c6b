//! Sealpost wire types and signed objects shared by the client and the relay.
//!
//! This crate holds what both sides of the wire must agree on: identifiers, confidentiality
//! labels, public signing keys, domain-separated signatures, key fingerprints and safety numbers,
//! the signed cluster roster ([`roster`]) and the enrolment objects ([`enrol`]). It has no
//! dependency on `age` and no type that carries plaintext, so the relay, which links this crate
//! and nothing else of ours, provably cannot open a parcel.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod b64;
pub mod enrol;
mod ids;
mod keys;
mod label;
pub mod relay;
pub mod roster;

pub use ids::{ClusterId, IdError, MemberId, ParcelId};
pub use keys::{
    Fingerprint, KeyError, SIGNATURE_LEN, SafetyNumber, SignatureError, SigningContext,
    SigningPublicKey,
};
pub use label::{Label, LabelError};
