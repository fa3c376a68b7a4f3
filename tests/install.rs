//! `make install`: the module goes where asterisk.conf's astmoddir says, replaced atomically, and
//! sample configs are installed without ever overwriting an operator's file.

use std::fs;
use std::path::Path;
use std::process::Command;

fn make_install(asterisk_conf: &Path) -> String {
    let output = Command::new("make")
        .args(["-s", "install"])
        .arg(format!("ASTERISK_CONF={}", asterisk_conf.display()))
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
