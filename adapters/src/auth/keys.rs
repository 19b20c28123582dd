//! Signing keys in a directory: one PKCS#8 PEM file per key, named by its
//! `kid`, readable by the owner only. The newest key signs; every key in the
//! directory verifies and is published in the JWKS, so rotating (adding a
//! newer key) leaves tokens signed by the old one valid until they expire.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{json, Value};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

const KEY_SIZE: KeySize = KeySize::Rsa2048;
/// The PEM label of an unencrypted PKCS#8 private key (RFC 7468).
const PKCS8_LABEL: &str = "PRIVATE KEY";
const KEY_SUFFIX: &str = ".pem";
const SECRET_SUFFIX: &str = ".secret";
/// A process that did not write a key (the CLI rotated it, another replica
/// did) sees it at most this late when signing.
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// One RSA key pair, ready to sign and verify.
#[derive(Debug)]
pub struct SigningKey {
    pub kid: String,
    pub created_at: OffsetDateTime,
    pub(super) encoding: EncodingKey,
    pub(super) decoding: DecodingKey,
    jwk: Value,
}

impl SigningKey {
    /// From a PKCS#8 PEM file's text.
    fn from_pem(kid: String, pem_text: &str) -> anyhow::Result<Self> {
        let created_at = created_at_of(&kid).with_context(|| format!("key id `{kid}` does not start with a time"))?;
        let block = pem::parse(pem_text).context("not PEM")?;
        anyhow::ensure!(block.tag() == PKCS8_LABEL, "expected a `{PKCS8_LABEL}` block, found `{}`", block.tag());
        let pair = KeyPair::from_pkcs8(block.contents()).map_err(|e| anyhow::anyhow!("not an RSA key: {e}"))?;
        let public: PublicKeyComponents<Vec<u8>> = pair.public_key().into();
        let n = URL_SAFE_NO_PAD.encode(&public.n);
        let e = URL_SAFE_NO_PAD.encode(&public.e);
        Ok(Self {
            encoding: EncodingKey::from_rsa_pem(pem_text.as_bytes()).context("building the signing key")?,
            decoding: DecodingKey::from_rsa_components(&n, &e).context("building the verification key")?,
            jwk: json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e }),
            kid,
            created_at,
        })
    }
}

/// The keys of one directory, newest last.
#[derive(Debug)]
pub struct KeyStore {
    dir: PathBuf,
    keys: RwLock<Arc<BTreeMap<String, Arc<SigningKey>>>>,
    last_load: Mutex<Instant>,
}

impl KeyStore {
    /// Opens the directory (created with mode 0700 if missing) and loads its
    /// keys; generates the first key when there is none.
    pub fn open(dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let dir = dir.into();
        if !dir.exists() {
            fs::create_dir_all(&dir).with_context(|| format!("creating the key directory {}", dir.display()))?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        }
        let store = Self { keys: RwLock::new(Arc::new(load(&dir)?)), dir, last_load: Mutex::new(Instant::now()) };
        if store.snapshot().is_empty() {
            let kid = store.generate()?;
            tracing::info!(kid, dir = %store.dir.display(), "generated the first signing key");
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a new signing key; from now on tokens are signed with it. Keys
    /// that were superseded more than `retire_after` ago are deleted: no
    /// token they signed can still be valid.
    pub fn rotate(&self, retire_after: Duration) -> anyhow::Result<String> {
        let kid = self.generate()?;
        let keys = self.snapshot();
        let now = OffsetDateTime::now_utc();
        let ordered: Vec<&Arc<SigningKey>> = keys.values().collect();
        for pair in ordered.windows(2) {
            let (old, successor) = (pair[0], pair[1]);
            if now - successor.created_at > retire_after {
                fs::remove_file(self.dir.join(format!("{}{KEY_SUFFIX}", old.kid)))
                    .with_context(|| format!("retiring key {}", old.kid))?;
                tracing::info!(kid = old.kid, "retired signing key");
            }
        }
        self.reload()?;
        Ok(kid)
    }

    /// The 32-byte secret `name` of this deployment (`<dir>/<name>.secret`,
    /// mode 0600), made on first use. It lives beside the signing keys, not
    /// in Postgres, so that what it seals in the database is unreadable to
    /// whoever reads only the database (a backup, the app role). Processes
    /// sharing the directory share the secret: the first to make it wins.
    pub fn secret(&self, name: &str) -> anyhow::Result<[u8; 32]> {
        anyhow::ensure!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "a secret's name is lower-case letters and dashes"
        );
        let path = self.dir.join(format!("{name}{SECRET_SUFFIX}"));
        if !path.exists() {
            let mut fresh = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
            let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
            let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            file.write_all(hex::encode(fresh).as_bytes())?;
            file.sync_all()?;
            // A hard link fails if the name exists: of two processes making
            // it at once, one wins and both read the winner's.
            let linked = fs::hard_link(&tmp, &path);
            fs::remove_file(&tmp)?;
            match linked {
                Ok(()) => tracing::info!(secret = name, dir = %self.dir.display(), "made a deployment secret"),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("writing {}", path.display())),
            }
        }
        let mode = fs::metadata(&path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!("{} is readable by other users (mode {:o}); run `chmod 600` on it", path.display(), mode & 0o777);
        }
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let bytes = hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        bytes.try_into().map_err(|_| anyhow::anyhow!("{} does not hold 32 bytes", path.display()))
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> Arc<SigningKey> {
        self.refresh_if_stale();
        self.snapshot().values().next_back().cloned().expect("a key store always holds a key")
    }

    /// The key with this id, looking at the directory again if it is not
    /// known yet. A key another process just wrote (a rotation, or
    /// `wavestack token issue` creating the first key while `wavestack up`
    /// starts) is read at once when its file is there: waiting for the next
    /// periodic reload refused its tokens for up to 5 s (found by the bench,
    /// 1,665 requests answered 401). An id that names no file costs a stat.
    pub fn get(&self, kid: &str) -> Option<Arc<SigningKey>> {
        if let Some(key) = self.snapshot().get(kid) {
            return Some(key.clone());
        }
        if is_kid(kid) && self.dir.join(format!("{kid}{KEY_SUFFIX}")).is_file() {
            if let Err(error) = self.reload() {
                tracing::warn!(error = format!("{error:#}"), "could not reload signing keys; keeping the loaded ones");
            }
        } else {
            self.refresh_if_stale();
        }
        self.snapshot().get(kid).cloned()
    }

    /// Every key that verifies, as a JWK Set (RFC 7517).
    pub fn jwks(&self) -> Value {
        self.refresh_if_stale();
        json!({ "keys": self.snapshot().values().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    fn snapshot(&self) -> Arc<BTreeMap<String, Arc<SigningKey>>> {
        self.keys.read().expect("key lock").clone()
    }

    fn refresh_if_stale(&self) {
        let mut last = self.last_load.lock().expect("key lock");
        if last.elapsed() < REFRESH_EVERY {
            return;
        }
        *last = Instant::now();
        drop(last);
        if let Err(error) = self.reload() {
            tracing::warn!(error = format!("{error:#}"), "could not reload signing keys; keeping the loaded ones");
        }
    }

    fn reload(&self) -> anyhow::Result<()> {
        let keys = load(&self.dir)?;
        if keys.is_empty() {
            bail!("the key directory {} holds no keys", self.dir.display());
        }
        *self.keys.write().expect("key lock") = Arc::new(keys);
        *self.last_load.lock().expect("key lock") = Instant::now();
        Ok(())
    }

    fn generate(&self) -> anyhow::Result<String> {
        let pair = KeyPair::generate(KEY_SIZE).map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
        let der: Pkcs8V1Der<'_> = pair.as_der().map_err(|_| anyhow::anyhow!("encoding the key failed"))?;
        let pem = pem::encode_config(
            &pem::Pem::new(PKCS8_LABEL, der.as_ref()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        let kid = new_kid();
        let path = self.dir.join(format!("{kid}{KEY_SUFFIX}"));
        let tmp = self.dir.join(format!(".{kid}.tmp"));
        // Written under a temporary name and renamed, so a reader never sees
        // half a key; created 0600 so the secret is never readable by others.
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(pem.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        self.reload()?;
        Ok(kid)
    }
}

fn load(dir: &Path) -> anyhow::Result<BTreeMap<String, Arc<SigningKey>>> {
    let mut keys = BTreeMap::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading the key directory {}", dir.display()))? {
        let path = entry?.path();
        let Some(kid) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(KEY_SUFFIX)) else {
            continue;
        };
        let mode = fs::metadata(&path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!("{} is readable by other users (mode {:o}); run `chmod 600` on it", path.display(), mode & 0o777);
        }
        let pem = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let key = SigningKey::from_pem(kid.to_owned(), &pem).with_context(|| format!("parsing {}", path.display()))?;
        keys.insert(kid.to_owned(), Arc::new(key));
    }
    Ok(keys)
}

/// `20261122T101500.123Z-3f9a1c`: sorts by creation time, unique across
/// processes rotating in the same second.
fn new_kid() -> String {
    let now = OffsetDateTime::now_utc();
    let stamp = now
        .format(format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:3]Z"))
        .expect("formattable");
    format!("{stamp}-{:06x}", fastrand::u32(..0x100_0000))
}

/// Shaped like the ids `new_kid` makes, so a token's header can never name
/// a path outside the key directory.
fn is_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 64
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !kid.contains("..")
}

fn created_at_of(kid: &str) -> Option<OffsetDateTime> {
    let stamp = kid.get(..20)?;
    PrimitiveDateTime::parse(
        stamp,
        format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:3]Z"),
    )
    .ok()
    .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_key_is_generated_private_and_published() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path().join("keys")).unwrap();
        let active = store.active();
        let file = dir.path().join("keys").join(format!("{}.pem", active.kid));
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(dir.path().join("keys")).unwrap().permissions().mode() & 0o777, 0o700);
        let jwks = store.jwks();
        assert_eq!(jwks["keys"][0]["kid"], active.kid.as_str());
        assert_eq!(jwks["keys"][0]["alg"], "RS256");
        assert!(jwks["keys"][0].get("d").is_none(), "the JWKS must not carry the private exponent");
    }

    #[test]
    fn a_secret_is_made_once_private_and_shared_by_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (one, two) = (KeyStore::open(dir.path()).unwrap(), KeyStore::open(dir.path()).unwrap());
        let made = one.secret("idempotency").unwrap();
        assert_eq!(two.secret("idempotency").unwrap(), made, "another process on the directory reads the same");
        assert_ne!(one.secret("other").unwrap(), made);
        let file = dir.path().join("idempotency.secret");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(one.secret("idempotency").is_err(), "a secret readable by others is refused");
        assert!(one.secret("../escape").is_err());
    }

    #[test]
    fn rotation_adds_a_newer_signing_key_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let first = store.active().kid.clone();
        let second = store.rotate(Duration::from_secs(3600)).unwrap();
        assert_ne!(first, second);
        assert_eq!(store.active().kid, second);
        assert!(store.get(&first).is_some());
        assert_eq!(store.jwks()["keys"].as_array().unwrap().len(), 2);
        // Another process opening the directory sees the same keys.
        assert_eq!(KeyStore::open(dir.path()).unwrap().active().kid, second);
    }

    #[test]
    fn rotation_retires_keys_superseded_long_ago() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let first = store.active().kid.clone();
        store.rotate(Duration::from_secs(3600)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // The second key was superseded by the third just now, the first
        // 300 ms ago.
        store.rotate(Duration::from_millis(200)).unwrap();
        assert!(store.get(&first).is_none());
        assert_eq!(store.jwks()["keys"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let file = dir.path().join(format!("{}.pem", store.active().kid));
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let error = KeyStore::open(dir.path()).err().unwrap();
        assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
    }

    #[test]
    fn a_key_another_process_just_wrote_verifies_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let running = KeyStore::open(dir.path()).unwrap();
        let first = running.active().kid.clone();
        // Another process (same directory) rotates within the refresh period.
        let other = KeyStore::open(dir.path()).unwrap();
        let newer = other.rotate(Duration::from_secs(3600)).unwrap();
        assert_ne!(newer, first);
        assert!(running.get(&newer).is_some(), "read from the directory at once");
        assert!(running.get("../../etc/passwd").is_none());
        assert!(running.get("no-such-key").is_none());
    }

    /// Keys written before the move to aws-lc-rs (by the `rsa` crate, or by
    /// an operator with OpenSSL) are PKCS#8 PEM from another library: they
    /// still load, publish the same modulus, and sign tokens they verify.
    #[test]
    fn a_pkcs8_key_from_openssl_loads_signs_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let kid = "20261101T000000.000Z-0a0b0c";
        let file = dir.path().join(format!("{kid}{KEY_SUFFIX}"));
        fs::write(&file, include_str!("testdata/openssl-pkcs8.pem")).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let key = store.get(kid).expect("the OpenSSL key is loaded");
        let modulus = hex::decode(include_str!("testdata/openssl-pkcs8.modulus.hex").trim()).unwrap();
        assert_eq!(store.jwks()["keys"][0]["n"], URL_SAFE_NO_PAD.encode(modulus));
        assert_eq!(store.jwks()["keys"][0]["e"], "AQAB");
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let token =
            jsonwebtoken::encode(&header, &json!({ "sub": "x", "exp": 4_000_000_000u64 }), &key.encoding).unwrap();
        let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        let claims = jsonwebtoken::decode::<Value>(&token, &key.decoding, &validation).unwrap().claims;
        assert_eq!(claims["sub"], "x");
        // Another key does not verify it.
        let other = KeyStore::open(tempfile::tempdir().unwrap().path()).unwrap().active();
        assert!(jsonwebtoken::decode::<Value>(&token, &other.decoding, &validation).is_err());
    }

    #[test]
    fn kid_carries_its_creation_time() {
        let kid = new_kid();
        let created = created_at_of(&kid).unwrap();
        assert!((OffsetDateTime::now_utc() - created).whole_seconds() < 5);
    }
}
