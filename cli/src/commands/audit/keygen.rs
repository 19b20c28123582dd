//! `wavestack audit keygen --out FILE`: a fresh Ed25519 key for the
//! checkpointer. The file holds the secret seed (mode 0600); the public
//! key printed is what auditors give `audit verify --public-key`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use ed25519_dalek::SigningKey;

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the key; an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

pub(super) fn run(args: KeygenArgs) -> anyhow::Result<()> {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    writeln!(file, "{}", hex::encode(key.to_bytes())).context("writing the key")?;
    println!("{}", hex::encode(key.verifying_key().as_bytes()));
    eprintln!(
        "wrote the signing key to {}; the line above is its public key, for `wavestack audit verify --public-key`",
        args.out.display()
    );
    Ok(())
}
