//! Throughput of the two primitives a seal is made of, on one file: a SHA-256 pass (sha2, as in
//! the manifest hashing pass) and age encryption to /dev/null (the `age` crate, as sealpost
//! uses it). `bench/seal-open` runs this beside Go `age` to explain where sealing time goes.
//!
//! Usage: cargo run --release -p sealpost-core --example primitive-speed -- FILE

use std::io::{Read, Write};
use std::time::Instant;

use sha2::Digest;

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .expect("usage: primitive-speed FILE");
    let mut buf = vec![0u8; 256 * 1024];
    let mut read_through = |sink: &mut dyn FnMut(&[u8])| -> std::io::Result<(u64, f64)> {
        let started = Instant::now();
        let mut file = std::fs::File::open(&path)?;
        let mut total = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sink(&buf[..n]);
            total += n as u64;
        }
        Ok((total, started.elapsed().as_secs_f64()))
    };

    let (_, read_only) = read_through(&mut |_| {})?;
    let mut hasher = sha2::Sha256::new();
    let (bytes, sha256) = read_through(&mut |chunk| hasher.update(chunk))?;
    let recipient = age::x25519::Identity::generate().to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("one recipient");
    let mut writer = encryptor.wrap_output(std::io::sink())?;
    let (_, encrypt) = read_through(&mut |chunk| writer.write_all(chunk).expect("to a sink"))?;
    writer.finish()?;

    let rate = |seconds: f64| bytes as f64 / seconds / 1e6;
    println!("read only:            {read_only:.3} s");
    println!(
        "sha256 pass (sha2):   {sha256:.3} s  {:.0} MB/s",
        rate(sha256)
    );
    println!(
        "age crate encrypt:    {encrypt:.3} s  {:.0} MB/s",
        rate(encrypt)
    );
    Ok(())
}
