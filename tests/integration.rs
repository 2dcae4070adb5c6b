//! End-to-end tests of the `sealpost` command-line tool: the real binary, run as members with
//! their own data directories, checked against Debian's `age`, `zstd`, `tar` and the Secret
//! Service. One test binary; every other `.rs` file in `tests/` is a module of it
//! (`autotests = false` in Cargo.toml keeps Cargo from building them as binaries of their own).

mod cluster;
mod desktop;
mod fault_proxy;
mod faults;
mod identity;
mod interop;
mod keyring;
mod mailroom;
mod netem;
mod pseudonymize;
mod recovery;
mod relay;
mod scan;
mod seal_open;
mod tus_client;
mod util;
