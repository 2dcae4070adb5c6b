//! `sealpost-relay serve`: runs the relay on a data directory.

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use clap::{Parser, Subcommand};
use sealpost_format::SigningPublicKey;
use sealpost_relay::limits::{self, RateLimit};
use sealpost_relay::{AppState, Store, app};

/// The Sealpost relay: carries sealed parcels between cluster members.
#[derive(Debug, Parser)]
#[command(name = "sealpost-relay", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the relay API
    Serve {
        /// Data directory (database and blobs); created if needed
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Address to listen on
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// The coordinator's signing key (ed25519:…), which must sign the first roster
        #[arg(long, value_name = "KEY")]
        coordinator_key: Option<SigningPublicKey>,
        /// Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy only)
        #[arg(long)]
        allow_http: bool,
        /// Bytes each member may keep on the relay
        #[arg(long, value_name = "BYTES", default_value_t = sealpost_relay::DEFAULT_QUOTA_BYTES)]
        quota_bytes: u64,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM); needs --tls-cert
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Requests per second each member (or address without a token) may make, sustained
        #[arg(long, value_name = "N", default_value_t = RateLimit::default().per_second,
              value_parser = clap::value_parser!(u32).range(1..))]
        rate_per_second: u32,
        /// Requests each member may make at once above the sustained rate
        #[arg(long, value_name = "N", default_value_t = RateLimit::default().burst,
              value_parser = clap::value_parser!(u32).range(1..))]
        rate_burst: u32,
    },
}

/// How the relay is served.
#[derive(Debug)]
struct Options {
    data: PathBuf,
    listen: SocketAddr,
    coordinator_key: Option<SigningPublicKey>,
    quota_bytes: u64,
    tls: Option<(PathBuf, PathBuf)>,
    rate: RateLimit,
}

/// The largest request head (request line and headers) read: hyper's buffer, so a client
/// cannot make the relay hold megabytes of headers.
const MAX_HEAD_BYTES: usize = 64 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs carry no IP address, token or parcel detail: handlers log ids and sizes only.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEALPOST_RELAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in a journal or a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match cli.command {
        Command::Serve {
            data,
            listen,
            coordinator_key,
            allow_http,
            quota_bytes,
            tls_cert,
            tls_key,
            rate_per_second,
            rate_burst,
        } => {
            let tls = tls_cert.zip(tls_key);
            if tls.is_none() && !listen.ip().is_loopback() && !allow_http {
                eprintln!(
                    "sealpost-relay: error: {listen} is not a loopback address; plain HTTP there \
                     would expose members' tokens. Give --tls-cert and --tls-key, or put the \
                     relay behind a TLS proxy and pass --allow-http, or listen on 127.0.0.1"
                );
                return ExitCode::from(2);
            }
            let options = Options {
                data,
                listen,
                coordinator_key,
                quota_bytes,
                tls,
                rate: RateLimit {
                    per_second: rate_per_second,
                    burst: rate_burst,
                },
            };
            match serve(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sealpost-relay: error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[tokio::main]
async fn serve(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let Options {
        data,
        listen,
        coordinator_key,
        quota_bytes,
        tls,
        rate,
    } = options;
    std::fs::create_dir_all(&data)
        .map_err(|e| format!("cannot create the data directory {}: {e}", data.display()))?;
    let store = Store::open(&data.join("relay.sqlite"))?;
    // Certificates are read before the port is taken, so a bad file fails fast and clearly.
    let tls =
        match tls {
            Some((cert, key)) => Some(RustlsConfig::from_pem_file(&cert, &key).await.map_err(
                |e| {
                    format!(
                        "cannot use the certificate {} with the key {}: {e}; give PEM files (a \
                     certificate chain and its private key)",
                        cert.display(),
                        key.display()
                    )
                },
            )?),
            None => None,
        };
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    listener.set_nonblocking(true)?;
    let mut state = AppState::new(store, coordinator_key).with_rate_limit(rate);
    state.quota_bytes = quota_bytes;
    // Expired blobs are swept at start and every ten minutes; the rate limiter forgets quiet
    // keys at the same pace.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = sealpost_relay::tus::sweep_expired(&sweeper).await {
                tracing::error!(status = %e.status(), "sweeping expired blobs failed");
            }
            limits::forget_quiet_keys(&sweeper.limiter);
        }
    });
    let handle = Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping: finishing requests in flight (at most 30 s)");
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    // The peer address reaches the rate limiter only; it is never logged.
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(config) => {
            tracing::info!(%listen, "relay listening (HTTPS)");
            let mut server = axum_server::from_tcp_rustls(listener, config)?;
            server.http_builder().http1().max_buf_size(MAX_HEAD_BYTES);
            server.handle(handle).serve(service).await?;
        }
        None => {
            tracing::info!(%listen, "relay listening (HTTP)");
            let mut server = axum_server::from_tcp(listener)?;
            server.http_builder().http1().max_buf_size(MAX_HEAD_BYTES);
            server.handle(handle).serve(service).await?;
        }
    }
    Ok(())
}
