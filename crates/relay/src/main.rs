//! `sealpost-relay serve`: runs the relay on a data directory.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sealpost_format::SigningPublicKey;
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs carry no IP address, token or parcel detail: handlers log ids and sizes only.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEALPOST_RELAY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve {
            data,
            listen,
            coordinator_key,
            allow_http,
            quota_bytes,
        } => {
            if !listen.ip().is_loopback() && !allow_http {
                eprintln!(
                    "sealpost-relay: error: {listen} is not a loopback address; plain HTTP there \
                     would expose members' tokens. Put the relay behind a TLS proxy and pass \
                     --allow-http, or listen on 127.0.0.1"
                );
                return ExitCode::from(2);
            }
            match serve(data, listen, coordinator_key, quota_bytes) {
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
async fn serve(
    data: PathBuf,
    listen: SocketAddr,
    coordinator_key: Option<SigningPublicKey>,
    quota_bytes: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&data)
        .map_err(|e| format!("cannot create the data directory {}: {e}", data.display()))?;
    let store = Store::open(&data.join("relay.sqlite"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(%listen, "relay listening");
    let mut state = AppState::new(store, coordinator_key);
    state.quota_bytes = quota_bytes;
    // Expired blobs are swept at start and every ten minutes.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = sealpost_relay::tus::sweep_expired(&sweeper).await {
                tracing::error!(status = %e.status(), "sweeping expired blobs failed");
            }
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
