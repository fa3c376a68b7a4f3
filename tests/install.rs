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
    let (moddir, etcdir) = (root.join("modules"), root.join("etc"));
    let conf = root.join("asterisk.conf");
    fs::write(
        &conf,
        format!("[directories](!)\nastetcdir => {}\nastmoddir => {}\n", etcdir.display(), moddir.display()),
    )
    .unwrap();

    let first = make_install(&conf);
    let built = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/res_minibot.so")).unwrap();
    assert_eq!(fs::read(moddir.join("res_minibot.so")).unwrap(), built, "installed module differs from the build");
    assert!(first.contains("installed") && etcdir.join("minibot.conf").exists(), "{first}");
    assert!(etcdir.join("extensions_minibot.conf").exists());

    fs::write(etcdir.join("minibot.conf"), "[general]\nenabled = no ; operator's choice\n").unwrap();
    let second = make_install(&conf);
    assert!(second.contains("kept existing"), "{second}");
    assert_eq!(fs::read_to_string(etcdir.join("minibot.conf")).unwrap(), "[general]\nenabled = no ; operator's choice\n");
    assert!(!moddir.join(".res_minibot.so.new").exists(), "temporary file left behind");
    fs::remove_dir_all(&root).unwrap();
}
