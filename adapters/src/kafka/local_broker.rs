//! The local Kafka-protocol broker (`tansu`), started by `wavestack up` and
//! by tests when no Kafka cluster is configured. It is a child process: it
//! is stopped on `stop()` and killed on drop, so nothing outlives its owner.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// Where tansu keeps the log.
#[derive(Debug, Clone)]
pub enum LocalBrokerStorage {
    /// Gone when the broker stops: for throwaway test runs.
    Memory,
    /// A SQLite file in this directory: topics, records and committed
    /// offsets survive restarts.
    Sqlite(PathBuf),
}

#[derive(Debug)]
pub struct LocalBroker {
    pub(super) child: Option<Child>,
    port: u16,
    storage: LocalBrokerStorage,
    pub(super) log_path: Option<PathBuf>,
}

impl LocalBroker {
    /// The executable, overridable for installs outside `PATH`.
    fn executable() -> String {
        std::env::var("WAVESTACK_TANSU_BIN").unwrap_or_else(|_| "tansu".to_owned())
    }

    /// Starts on a free loopback port.
    pub fn start(storage: LocalBrokerStorage) -> anyhow::Result<Self> {
        let port = free_port()?;
        Self::start_on(port, storage)
    }

    pub fn start_on(port: u16, storage: LocalBrokerStorage) -> anyhow::Result<Self> {
        let mut broker = Self { child: None, port, storage, log_path: None };
        broker.spawn()?;
        Ok(broker)
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(super) fn spawn(&mut self) -> anyhow::Result<()> {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let mut command = Command::new(Self::executable());
        command
            .arg("broker")
            .arg("--listener-url")
            .arg(&url)
            .arg("--advertised-listener-url")
            .arg(&url)
            .stdin(Stdio::null());
        match &self.storage {
            LocalBrokerStorage::Memory => {
                command.arg("--storage-engine").arg("memory://tansu/").stdout(Stdio::null()).stderr(Stdio::null());
            }
            LocalBrokerStorage::Sqlite(dir) => {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                stop_orphan(dir);
                // tansu resolves the sqlite path against its working directory.
                let log_path = dir.join("tansu.log");
                let log = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log_path)
                    .with_context(|| format!("opening {}", log_path.display()))?;
                command
                    .current_dir(dir)
                    .arg("--storage-engine")
                    .arg("sqlite://tansu.db")
                    .stdout(log.try_clone()?)
                    .stderr(log);
                self.log_path = Some(log_path);
            }
        }
        let child = command.spawn().with_context(|| {
            format!(
                "starting the local Kafka broker `{}` (install it with \
                 `cargo install --locked tansu --version 0.6.0 --features libsql,dynostore`, \
                 or set KAFKA_BROKERS to use an existing cluster)",
                Self::executable()
            )
        })?;
        if let LocalBrokerStorage::Sqlite(dir) = &self.storage {
            // Read by the next start if this process dies without stopping it.
            let _ = std::fs::write(dir.join(PID_FILE), child.id().to_string());
        }
        self.child = Some(child);
        self.wait_until_listening(Duration::from_secs(30))?;
        if let LocalBrokerStorage::Sqlite(dir) = &self.storage {
            super::broker_index::add_missing_indexes(&dir.join("tansu.db"), Duration::from_secs(30))?;
        }
        Ok(())
    }

    fn wait_until_listening(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("the local Kafka broker exited at start ({status}); see {:?}", self.log_path);
                }
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("the local Kafka broker did not listen on {addr} within {timeout:?}")
    }

    /// Stops the broker (SIGKILL: tansu's SQLite storage is transactional,
    /// and tests use this to simulate an outage).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same storage.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.spawn()
    }

    /// The broker's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn data_dir(&self) -> Option<&Path> {
        match &self.storage {
            LocalBrokerStorage::Memory => None,
            LocalBrokerStorage::Sqlite(dir) => Some(dir),
        }
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The running broker's pid, in its data directory.
const PID_FILE: &str = "tansu.pid";

/// A broker whose owner was killed (SIGKILL, OOM) outlives it, holding the
/// port and the SQLite file; the next start stops it first. Only a process
/// that is still `tansu` is signalled, so a recycled pid is left alone.
fn stop_orphan(dir: &Path) {
    let Ok(pid) = std::fs::read_to_string(dir.join(PID_FILE)) else { return };
    let pid = pid.trim();
    let is_tansu = std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "tansu");
    if !is_tansu {
        return;
    }
    tracing::warn!(pid, "stopping the local Kafka broker a killed WaveStack left running");
    let _ = Command::new("kill").args(["-KILL", pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
