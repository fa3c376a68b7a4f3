//! `make install`: the module goes where asterisk.conf's astmoddir says, replaced atomically, and
//! sample configs are installed without ever overwriting an operator's file.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The tests' `make` runs, one at a time: `make install` and `make dist` share the prompts they
/// build.
static MAKE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn make_install(asterisk_conf: &Path) -> String {
    let _one = MAKE.lock().unwrap_or_else(|e| e.into_inner());
    // The Asterisk whose version and build options are checked: the sandbox's, read as a file.
    let asterisk = support::sandbox_root().join("usr/sbin/asterisk");
    let output = Command::new("make")
        .args(["-s", "install"])
        .arg(format!("ASTERISK_CONF={}", asterisk_conf.display()))
        .arg(format!("ASTERISK={}", asterisk.display()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("make");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "make install failed:\n{text}");
    text
}

#[test]
fn install_reads_asterisk_conf_and_keeps_existing_configs() {
    let root = std::env::temp_dir().join(format!("minibot-install-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let (moddir, etcdir, datadir) = (root.join("modules"), root.join("etc"), root.join("data"));
    let conf = root.join("asterisk.conf");
    fs::write(
        &conf,
        format!(
            "[directories](!)\nastetcdir => {}\nastmoddir => {}\nastdatadir => {}\n",
            etcdir.display(),
            moddir.display(),
            datadir.display()
        ),
    )
    .unwrap();

    // Without Asterisk's headers (none on the system, no sandbox): a clear error, nothing built
    // nor installed, no sandbox built: from the install itself, and from the headers step it
    // runs when the module must be built.
    let no_headers = |target: &str| {
        let _one = MAKE.lock().unwrap_or_else(|e| e.into_inner());
        let output = Command::new("make")
            .args(["-s", target, "SANDBOX=/nonexistent-sandbox", "MINIBOT_INSTALLING=1"])
            .arg(format!("ASTERISK_CONF={}", conf.display()))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("make");
        let text = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success() && text.contains("no Asterisk headers") && text.contains("apt install asterisk-dev"), "make {target}: {text}");
    };
    no_headers("install");
    no_headers("headers");
    assert!(!moddir.join("res_minibot.so").exists() && !Path::new("/nonexistent-sandbox").exists());

    let first = make_install(&conf);
    let built = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/res_minibot.so")).unwrap();
    assert_eq!(fs::read(moddir.join("res_minibot.so")).unwrap(), built, "installed module differs from the build");
    assert!(first.contains("installed") && etcdir.join("minibot.conf").exists(), "{first}");
    assert!(etcdir.join("extensions_minibot.conf").exists() && etcdir.join("minibot_scenarios.conf").exists());
    assert!(moddir.join("libvosk.so").exists(), "libvosk.so goes beside the module");
    assert!(datadir.join("minibot/intents.model").exists(), "the intent model goes under astdatadir");
    for campaign in ["demo", "renovation"] {
        for prompt in ["hello.sln16", "hello.sln", "bye_failed.sln16"] {
            assert!(datadir.join("sounds/fr/minibot").join(campaign).join(prompt).exists(), "{campaign} prompt {prompt} not installed");
        }
    }

    fs::write(etcdir.join("minibot.conf"), "[general]\nenabled = no ; operator's choice\n").unwrap();
    let second = make_install(&conf);
    assert!(second.contains("kept existing"), "{second}");
    assert_eq!(fs::read_to_string(etcdir.join("minibot.conf")).unwrap(), "[general]\nenabled = no ; operator's choice\n");
    assert!(!moddir.join(".res_minibot.so.new").exists(), "temporary file left behind");
    fs::remove_dir_all(&root).unwrap();
}

/// A zip shaped like a Vosk model release (top-level directory, am/ and conf/), tiny.
fn fake_model_zip(path: &Path, top: &str, with_am: bool) {
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile('{}', 'w')\n{}z.writestr('{top}/conf/mfcc.conf', '--sample-frequency=16000\\n')\nz.writestr('{top}/README', 'test')\nz.close()\n",
        path.display(),
        if with_am { format!("z.writestr('{top}/am/final.mdl', 'x')\n") } else { String::new() }
    );
    assert!(Command::new("python3").args(["-c", &script]).status().unwrap().success());
}

fn install_model(args: &[&str]) -> (bool, String) {
    let output = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("asterisk-conf/install-vosk-model.sh"))
        .args(args)
        .env("VOSK_MODEL_SITE", "http://127.0.0.1:9/none") // never the network in tests
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr))
}

#[test]
fn french_model_installer_checks_what_it_installs() {
    let root = std::env::temp_dir().join(format!("minibot-model-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let zip = root.join("vosk-model-small-fr-0.22.zip");
    fake_model_zip(&zip, "vosk-model-small-fr-0.22", true);
    let dest = root.join("vosk");
    let (zip_s, dest_s) = (zip.to_str().unwrap(), dest.to_str().unwrap());

    let (ok, out) = install_model(&["--from", zip_s, "--dest", dest_s]);
    assert!(ok, "{out}");
    let installed = dest.join("vosk-model-small-fr-0.22");
    assert!(installed.join("am/final.mdl").exists() && installed.join("conf/mfcc.conf").exists(), "{out}");
    assert!(out.contains(&format!("[asr] model = {}", installed.display())), "{out}");
    let recorded = fs::read_to_string(installed.join(".sha256")).unwrap();
    let sum = recorded.split_whitespace().next().unwrap().to_string();

    // A pinned checksum is enforced; the right one reinstalls in place.
    let (ok, out) = install_model(&["--from", zip_s, "--dest", dest_s, "--sha256", &"0".repeat(64)]);
    assert!(!ok && out.contains("checksum mismatch"), "{out}");
    let (ok, out) = install_model(&["--from", zip_s, "--dest", dest_s, "--sha256", &sum]);
    assert!(ok, "{out}");

    // Not a model, or no network: clear refusals, nothing half-installed.
    let broken = root.join("broken.zip");
    fake_model_zip(&broken, "vosk-model-small-fr-0.22", false);
    let (ok, out) = install_model(&["--from", broken.to_str().unwrap(), "--dest", dest_s]);
    assert!(!ok && out.contains("am/final.mdl is missing"), "{out}");
    assert!(installed.join("am/final.mdl").exists(), "a failed install must leave the previous model alone");
    let (ok, out) = install_model(&["--model", "large", "--dest", dest_s]);
    assert!(!ok && out.contains("download failed"), "{out}");
    assert!(!dest.join("vosk-model-fr-0.22").exists());
    fs::remove_dir_all(&root).unwrap();
}

/// Runs `command` in the root; (success, output).
fn in_root(root: &Path, command: &str) -> (bool, String) {
    let output = Command::new("chroot").arg(root).args(["/bin/sh", "-c", command]).output().expect("chroot");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr))
}

/// A packaged Asterisk running in `root` with its own /etc/asterisk; stopped when dropped.
struct Pbx {
    root: PathBuf,
    child: std::process::Child,
}

impl Pbx {
    fn start(root: &Path) -> Pbx {
        let _ = fs::remove_file(root.join("run/asterisk/asterisk.ctl"));
        let log = fs::File::create(root.join("tmp/asterisk-console.txt")).unwrap();
        let child = Command::new("chroot")
            .arg(root)
            .args(["/usr/sbin/asterisk", "-f", "-n"])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pbx = Pbx { root: root.to_path_buf(), child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !root.join("run/asterisk/asterisk.ctl").exists() {
            assert!(Instant::now() < deadline, "Asterisk did not start:\n{}", fs::read_to_string(root.join("tmp/asterisk-console.txt")).unwrap_or_default());
            std::thread::sleep(Duration::from_millis(100));
        }
        pbx.cli("core waitfullybooted");
        pbx
    }

    fn cli(&self, command: &str) -> String {
        in_root(&self.root, &format!("/usr/sbin/asterisk -rx '{command}'")).1
    }

    fn wait_for(&self, command: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.cli(command);
            if done(&out) {
                return out;
            }
            assert!(Instant::now() < deadline, "{what}: {out}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        self.cli("core stop now");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `make dist`, then the archive on a root that has Asterisk 22's runtime packages and nothing to
/// build with: the install script refuses another Asterisk build, installs into the packaged
/// layout, and the module loads, checks itself and answers a call with the archive's prompts.
#[test]
fn the_release_archive_installs_on_a_runtime_only_asterisk_and_answers_a_call() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let one = MAKE.lock().unwrap_or_else(|e| e.into_inner());
    let output = Command::new("make").args(["-s", "dist"]).current_dir(manifest).output().expect("make dist");
    drop(one);
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "make dist failed:\n{printed}{}", String::from_utf8_lossy(&output.stderr));
    // Under `make test`, make also prints the directories it enters and leaves.
    let archive = manifest.join(printed.lines().find(|l| l.ends_with(".tar.gz")).expect("make dist prints the archive"));
    assert!(archive.to_string_lossy().ends_with(".tar.gz") && archive.exists(), "{printed}");

    let script = manifest.join("tests/sandbox/build-runtime-root.sh");
    let output = Command::new(&script).output().expect("the runtime root");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let root = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    for gone in ["usr/include/asterisk.h", "usr/bin/gcc", "usr/bin/cc"] {
        assert!(!root.join(gone).exists(), "the runtime root has {gone}");
    }
    // What an earlier run installed goes first: this run's install is the one tested.
    let (_, _) = in_root(
        &root,
        "rm -rf /usr/lib/x86_64-linux-gnu/asterisk/modules/res_minibot.so /usr/lib/x86_64-linux-gnu/asterisk/modules/libvosk.so \
         /etc/asterisk/minibot.conf /etc/asterisk/minibot_scenarios.conf /etc/asterisk/extensions_minibot.conf /etc/asterisk/amd.conf \
         /usr/share/asterisk/minibot /usr/share/asterisk/sounds/fr/minibot /tmp/release /var/spool/asterisk/minibot",
    );
    fs::create_dir_all(root.join("tmp/release")).unwrap();
    let unpacked = Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(root.join("tmp/release")).status().unwrap();
    assert!(unpacked.success());
    let name = archive.file_name().unwrap().to_string_lossy().trim_end_matches(".tar.gz").to_string();
    let release = format!("/tmp/release/{name}");

    // An archive for another Asterisk build, or another major version: refused, nothing installed.
    let buildinfo = root.join(release.trim_start_matches('/')).join("BUILDINFO");
    let original = fs::read_to_string(&buildinfo).unwrap();
    let sum = original.lines().find_map(|l| l.strip_prefix("AST_BUILDOPT_SUM=")).unwrap().to_string();
    fs::write(&buildinfo, original.replace(&sum, "0123456789abcdef0123456789abcdef")).unwrap();
    let (ok, out) = in_root(&root, &format!("{release}/install.sh"));
    assert!(!ok && out.contains("was built with other build options than this archive's module"), "{out}");
    fs::write(&buildinfo, original.replace("ASTERISK_VERSION=22.", "ASTERISK_VERSION=23.")).unwrap();
    let (ok, out) = in_root(&root, &format!("{release}/install.sh"));
    assert!(!ok && out.contains("this archive is for Asterisk 23.") && out.contains("is Asterisk 22."), "{out}");
    assert!(!root.join("usr/lib/x86_64-linux-gnu/asterisk/modules/res_minibot.so").exists(), "a refused install copies nothing");
    fs::write(&buildinfo, &original).unwrap();

    let (ok, out) = in_root(&root, &format!("{release}/install.sh"));
    assert!(ok, "{out}");
    assert!(out.contains("installed /etc/asterisk/minibot.conf") && out.contains("installed res_minibot.so"), "{out}");
    // This root has no French Vosk model, database nor LLM: the bot runs on keys and its model.
    let etc = root.join("etc/asterisk");
    let conf = fs::read_to_string(etc.join("minibot.conf")).unwrap();
    let conf = conf
        .replace("model = /usr/share/vosk/vosk-model-small-fr-0.22", "model =")
        .replace("url = http://127.0.0.1:11434", "url =")
        .replace("url = host=127.0.0.1 port=5432 user=minibot dbname=minibot", "url =");
    fs::write(etc.join("minibot.conf"), conf).unwrap();
    let extensions = fs::read_to_string(etc.join("extensions.conf")).unwrap();
    if !extensions.contains("extensions_minibot.conf") {
        fs::write(etc.join("extensions.conf"), format!("{extensions}\n#include \"extensions_minibot.conf\"\n")).unwrap();
    }

    let pbx = Pbx::start(&root);
    let modules = pbx.cli("module show like res_minibot");
    assert!(modules.contains("res_minibot.so") && modules.contains("Running"), "{modules}\n{}", fs::read_to_string(root.join("tmp/asterisk-console.txt")).unwrap_or_default());
    let check = pbx.cli("minibot check");
    for part in ["config", "campaigns", "prompts", "intents", "database", "llm", "dialplan"] {
        assert!(check.lines().any(|l| l.starts_with("ok") && l[4..].trim_start().starts_with(part)), "{part} is not ok:\n{check}");
    }
    // No trunk on this PBX yet: said so, with where to look; the archive's wrapper gives scripts
    // the verdict as an exit status (asterisk -rx's own is 0).
    assert!(check.contains("FAIL  trunk     demo: dial = PJSIP/${PHONE}@trunk: no endpoint PJSIP/trunk"), "{check}");
    let (ok, out) = in_root(&root, &format!("{release}/tools/minibot-check"));
    assert!(!ok && out.contains("FAIL  trunk"), "{out}");
    let (_, status) = in_root(&root, &format!("{release}/tools/minibot-check >/dev/null; echo $?"));
    assert_eq!(status.trim(), "1", "a failure is exit status 1");

    // A call into the sample's fixed campaign: the archive's prompts play (its recording notice,
    // then its greeting), and a hangup ends it.
    pbx.cli("channel originate Local/s@minibot-demo application Wait 60");
    pbx.wait_for("minibot show calls", "the call reaches the greeting", |calls| calls.contains("hello"));
    assert!(!pbx.cli("minibot show status").contains("Disabled:"));
    pbx.cli("channel request hangup all");
    let status = pbx.wait_for("minibot show status", "the call ends", |s| s.contains("Calls active:  0") && s.contains("Calls started: 1"));
    assert!(status.contains("HANGUP"), "{status}");
    drop(pbx);
    let _ = fs::remove_dir_all(root.join("tmp/release"));
    // The root's /proc is mounted for Asterisk: unmounted, the cache can be deleted whole.
    let _ = Command::new("umount").arg(root.join("proc")).status();
}
