//! What a plugin may touch: nothing outside its own memory. WASI is linked only because a
//! wasip2-built guest's std imports it; the context grants no files, env, args or network.
//! Its stdout/stderr go to size-capped buffers that are attached to errors, and its memory and
//! time per call are limited.

use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::Store;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-call limits of a plugin.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time one call may take before it is interrupted.
    pub call_timeout: Duration,
    /// Linear memory the plugin may grow to, in bytes.
    pub max_memory: usize,
    /// Bytes of stdout and of stderr kept for the log (the rest is counted, not stored).
    pub max_log: usize,
    /// Growth of linear memory past which an instance is replaced by a fresh one before its
    /// next call (see [`Limits::recycle_mark`]). Memory never shrinks, and some guests' heaps
    /// grow with every batch (CPython's inside componentize-py does): without this, a long run
    /// would end at `max_memory`.
    pub recycle_above: usize,
    /// How the caller's users change these limits, named when one is exceeded.
    pub names: LimitNames,
}

/// The knobs behind the limits as the caller exposes them: `--plugin-timeout-secs` on the
/// command line, `timeout_secs` in Python.
#[derive(Debug, Clone, Copy)]
pub struct LimitNames {
    pub timeout: &'static str,
    pub memory: &'static str,
}

impl Limits {
    /// The growth that gets an instance replaced: `recycle_above`, but at most half the cap,
    /// so a small `max_memory` is not reached first.
    pub fn recycle_mark(&self) -> usize {
        self.recycle_above.min(self.max_memory / 2)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(60),
            max_memory: 1 << 30,
            max_log: 64 << 10,
            recycle_above: 128 << 20,
            names: LimitNames {
                timeout: "the plugin time limit",
                memory: "the plugin memory limit",
            },
        }
    }
}

/// The store's data: WASI state that grants nothing, the memory limiter, the captured output.
pub struct SandboxState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub stdout: CappedLog,
    pub stderr: CappedLog,
}

impl SandboxState {
    pub fn new(limits: &Limits) -> Self {
        Self::with_logs(
            limits,
            CappedLog::new(limits.max_log),
            CappedLog::new(limits.max_log),
        )
    }

    /// A fresh state that writes to `previous`'s logs, for an instance replacing another.
    pub fn sharing_logs(limits: &Limits, previous: &SandboxState) -> Self {
        Self::with_logs(limits, previous.stdout.clone(), previous.stderr.clone())
    }

    fn with_logs(limits: &Limits, stdout: CappedLog, stderr: CappedLog) -> Self {
        // `WasiCtxBuilder::new()` grants nothing: no preopened directories, no env or args,
        // stdin closed, no network; only the output streams are redirected.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                max: limits.max_memory,
                denied: false,
                size: 0,
                initial: 0,
            },
            stdout,
            stderr,
        }
    }
}

impl WasiView for SandboxState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and remembers whether it refused a growth, so a trap that follows
/// (an allocation failure aborts a Rust guest) is reported as "out of memory".
pub struct MemoryLimiter {
    max: usize,
    pub denied: bool,
    /// Bytes of linear memory the instance has, over all its memories.
    size: usize,
    /// `size` once instantiated: its memory image, which never counts as growth.
    initial: usize,
}

impl MemoryLimiter {
    /// Called once the instance exists: what it has from now on is growth.
    pub fn mark_initial(&mut self) {
        self.initial = self.size;
    }

    /// Bytes the instance's memory grew by since it was instantiated.
    pub fn grown(&self) -> usize {
        self.size - self.initial
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max;
        self.denied |= !allowed;
        if allowed {
            self.size += desired.saturating_sub(current);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// An output stream that keeps the first `capacity` bytes and silently drops the rest, so a
/// chatty plugin neither fails (Rust's `println!` panics on a write error) nor eats memory.
#[derive(Clone)]
pub struct CappedLog {
    capacity: usize,
    inner: Arc<Mutex<LogBuffer>>,
}

#[derive(Default)]
struct LogBuffer {
    kept: Vec<u8>,
    dropped: u64,
}

impl CappedLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Arc::default(),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = self.capacity.saturating_sub(buffer.kept.len());
        let keep = bytes.len().min(room);
        buffer.kept.extend_from_slice(&bytes[..keep]);
        buffer.dropped += (bytes.len() - keep) as u64;
    }

    /// Everything captured so far (lossy UTF-8), with a note when output was cut.
    pub fn text(&self) -> String {
        let buffer = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::from_utf8_lossy(&buffer.kept).into_owned();
        if buffer.dropped > 0 {
            text.push_str(&format!("\n[... {} more bytes not kept]", buffer.dropped));
        }
        text
    }

    pub fn take_text(&self) -> String {
        let text = self.text();
        let mut buffer = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *buffer = LogBuffer::default();
        text
    }
}

impl IsTerminal for CappedLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for CappedLog {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedLog {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CappedLog {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.append(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Names the cause of a failed call: memory limit, time limit or the trap itself.
pub fn describe_failure(
    store: &Store<SandboxState>,
    limits: &Limits,
    error: &wasmtime::Error,
) -> String {
    if store.data().limiter.denied {
        format!(
            "exceeded its memory limit of {} MiB ({})",
            limits.max_memory >> 20,
            limits.names.memory
        )
    } else if matches!(
        error.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        format!(
            "exceeded its time limit of {} s per batch ({})",
            limits.call_timeout.as_secs_f64(),
            limits.names.timeout
        )
    } else {
        format!("trapped: {error:#}")
    }
}
