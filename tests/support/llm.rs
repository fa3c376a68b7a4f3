//! The real LLM server of the tests: sid's llama-server in the sandbox with Gemma 3 270M
//! (`make llm`), serving the OpenAI-compatible API on 127.0.0.1. Dropping it stops it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MODEL: &str = "/opt/minibot/models/gemma-3-270m-q4_k_m.gguf";

pub struct LlmServer {
    pub port: u16,
    child: Option<Child>,
}

impl LlmServer {
    pub fn start() -> LlmServer {
        LlmServer::start_on(super::free_port())
    }

    /// On a given port: a server restarted after an outage, where the module expects it.
    pub fn start_on(port: u16) -> LlmServer {
        let root = super::sandbox_root();
        assert!(root.join(MODEL.trim_start_matches('/')).exists(), "no LLM model in the sandbox (run `make llm`)");
        let log = std::fs::File::create(std::env::temp_dir().join(format!("llama-server-{port}.log"))).unwrap();
        let child = Command::new("chroot")
            .arg(&root)
            .args(["/usr/bin/llama-server", "-m", MODEL, "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-c", "2048", "-t", "2", "-np", "2", "--no-webui"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("llama-server");
        let mut server = LlmServer { port, child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(90);
        while !server.healthy() {
            assert!(server.child.as_mut().unwrap().try_wait().unwrap().is_none(), "llama-server exited; see /tmp/llama-server-{port}.log");
            assert!(Instant::now() < deadline, "llama-server not healthy after 90 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200")
    }

    /// Kills the server (the outage the module must survive).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LlmServer {
    fn drop(&mut self) {
        self.stop();
    }
}
