//! A TCP proxy in front of a test server that can be cut and restored, to stand for an S3
//! endpoint that goes away in the middle of an upload.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub struct FlakyProxy {
    pub endpoint: String,
    up: Arc<AtomicBool>,
    client_bytes: Arc<AtomicU64>,
}

impl FlakyProxy {
    pub fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let client_bytes = Arc::new(AtomicU64::new(0));
        let (accept_up, accept_bytes) = (up.clone(), client_bytes.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the caller sees the connection reset
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                for (from, to, counter) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        Some(accept_bytes.clone()),
                    ),
                    (server, client, None),
                ] {
                    let up = accept_up.clone();
                    std::thread::spawn(move || pump(from, to, &up, counter));
                }
            }
        });
        Self {
            endpoint,
            up,
            client_bytes,
        }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Bytes sent by clients through the proxy so far.
    pub fn client_bytes(&self) -> u64 {
        self.client_bytes.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to` until either side closes or the proxy is cut.
fn pump(mut from: TcpStream, mut to: TcpStream, up: &AtomicBool, counter: Option<Arc<AtomicU64>>) {
    from.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        if !up.load(Ordering::SeqCst) {
            break;
        }
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
                if let Some(counter) = &counter {
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
