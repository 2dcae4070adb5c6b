//! Detectors: each recognises one kind of value (a phone number, an NRC number, a name, a
//! P-code, coordinates, an email address) in a cell or in running text, or what a header
//! means. They judge single values; `table` weighs them over whole columns.

pub(crate) mod coords;
pub(crate) mod digits;
pub(crate) mod email;
pub(crate) mod header;
pub(crate) mod hxl;
pub(crate) mod mask;
pub(crate) mod names;
pub(crate) mod nrc;
pub(crate) mod phone;
pub(crate) mod places;
pub(crate) mod text;
pub(crate) mod zawgyi;
