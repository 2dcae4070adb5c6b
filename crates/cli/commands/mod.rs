//! One module per group of commands.

pub(crate) mod cluster;
pub(crate) mod identity;
pub(crate) mod mailroom;
pub(crate) mod parcel;
pub(crate) mod pseudonymize;
pub(crate) mod relay;
pub(crate) mod scan;
