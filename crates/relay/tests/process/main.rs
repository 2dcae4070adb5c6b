//! The real `sealpost-relay` binary over loopback, crashed with SIGKILL mid-upload and
//! mid-completion, and run on a disk that fills up: what it holds afterwards is exactly what
//! it acknowledged — nothing lost, nothing doubled, nothing half-written counted.

mod crash;
mod disk_full;
mod harness;
#[path = "../support/mod.rs"]
mod support;
