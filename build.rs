//! Build script: with the `asterisk` feature, generate raw bindings to Asterisk's headers
//! (bindgen, allowlisted) and compile the C shim that declares the module descriptor.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where tests and the demo keep downloads and builds (the Makefile's MINIBOT_CACHE).
fn cache_dir() -> String {
    println!("cargo:rerun-if-env-changed=MINIBOT_CACHE");
    env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The version shows the commit it was built from.
    for git_file in [".git/HEAD", ".git/refs/heads"] {
        if Path::new(git_file).exists() {
            println!("cargo:rerun-if-changed={git_file}");
        }
    }
    println!("cargo:rustc-env=MINIBOT_GIT_REV={}", git_revision());

    link_vosk();
    if env::var_os("CARGO_FEATURE_ASTERISK").is_none() {
        return;
    }
    let include_dir = asterisk_include_dir();
    generate_bindings(&include_dir);
    compile_shim(&include_dir);
}

fn git_revision() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// libvosk.so comes from the PyPI wheel (`make vosk`). Installed beside res_minibot.so, it is found
/// through an rpath of $ORIGIN; test and example binaries find it where it was unpacked.
fn link_vosk() {
    println!("cargo:rerun-if-env-changed=MINIBOT_VOSK_DIR");
    let dir = env::var("MINIBOT_VOSK_DIR").unwrap_or_else(|_| format!("{}/vosk", cache_dir()));
    if !Path::new(&dir).join("libvosk.so").exists() {
        panic!("libvosk.so not found in {dir}: run `make vosk` (or set MINIBOT_VOSK_DIR)");
    }
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-arg-cdylib=-Wl,-rpath,$ORIGIN");
    // Every other binary (unit tests included, which have no link-arg kind of their own).
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}

/// Where `asterisk.h` is: `MINIBOT_AST_INCLUDE`, else the system's asterisk-dev, else the sandbox root.
/// The sandbox's whole /usr/include would drag sid's libc headers in, so only `asterisk.h` and
/// `asterisk/` are staged into a directory of their own.
fn asterisk_include_dir() -> PathBuf {
    println!("cargo:rerun-if-env-changed=MINIBOT_AST_INCLUDE");
    println!("cargo:rerun-if-env-changed=MINIBOT_SANDBOX");
    if let Some(dir) = env::var_os("MINIBOT_AST_INCLUDE") {
        let dir = PathBuf::from(dir);
        assert!(dir.join("asterisk.h").exists(), "MINIBOT_AST_INCLUDE={} has no asterisk.h", dir.display());
        return dir;
    }
    if Path::new("/usr/include/asterisk.h").exists() {
        return PathBuf::from("/usr/include");
    }
    let sandbox = env::var("MINIBOT_SANDBOX").unwrap_or_else(|_| format!("{}/sid", cache_dir()));
    let sandbox_include = Path::new(&sandbox).join("usr/include");
    if !sandbox_include.join("asterisk.h").exists() {
        panic!(
            "no Asterisk headers: install asterisk-dev, set MINIBOT_AST_INCLUDE, or run `make sandbox` \
             (looked in /usr/include and {})",
            sandbox_include.display()
        );
    }
    let staged = PathBuf::from(env::var("OUT_DIR").unwrap()).join("asterisk-include");
    std::fs::create_dir_all(&staged).unwrap();
    for name in ["asterisk.h", "asterisk"] {
        let link = staged.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(sandbox_include.join(name), &link).unwrap();
    }
    println!("cargo:rerun-if-changed={}", sandbox_include.join("asterisk/buildopts.h").display());
    staged
}

/// The defines every translation unit of an Asterisk module is compiled with.
const MODULE_DEFINES: &[(&str, &str)] = &[
    ("_GNU_SOURCE", "1"),
    ("AST_MODULE", "\"res_minibot\""),
    ("AST_MODULE_SELF_SYM", "__internal_res_minibot_self"),
];

fn generate_bindings(include_dir: &Path) {
    println!("cargo:rerun-if-changed=include/minibot_asterisk.h");
    let mut builder = bindgen::Builder::default()
        .header("include/minibot_asterisk.h")
        .clang_arg(format!("-I{}", include_dir.display()))
        // utils.h uses clang blocks for RAII_VAR when compiled by clang.
        .clang_arg("-fblocks")
        .allowlist_function(
            "ast_log|__ast_verbose|ast_get_version|minibot_module_self|minibot_audiohook_lock|minibot_audiohook_unlock|minibot_getvar\
             |minibot_read_format_ref|minibot_format_unref|minibot_channel_ref|minibot_channel_unref|minibot_channel_wake|minibot_party_numbers|minibot_originate|minibot_http_send|minibot_http_remote|minibot_http_json_body|minibot_json_free|minibot_endpoint_exists|ast_exists_extension\
             |ast_register_application2|ast_unregister_application\
             |__ast_cli_register|ast_cli_unregister|ast_cli\
             |ast_config_load2|ast_config_destroy|ast_category_browse|ast_variable_browse\
             |ast_answer|ast_check_hangup|pbx_builtin_setvar_helper|ast_channel_name|ast_channel_uniqueid\
             |ast_channel_language|ast_channel_stream|ast_channel_streamid|ast_channel_timingfunc|ast_channel_sched\
             |ast_channel_rawreadformat|ast_set_read_format|ast_format_get_sample_rate|ast_format_get_name\
             |ast_streamfile|ast_stopstream|ast_seekstream|ast_ratestream|ast_fileexists|ast_waitfor|ast_read|ast_frame_free|ast_sched_runq|ast_sched_wait\
             |ast_audiohook_init|ast_audiohook_attach|ast_audiohook_remove|ast_audiohook_destroy\
             |__ast_manager_event_multichan|ast_http_uri_link|ast_http_uri_unlink|ast_http_error",
        )
        .allowlist_type("ast_cli_entry|ast_cli_args|ast_variable|ast_flags|ast_channel|ast_frame|ast_audiohook|ast_http_uri")
        .allowlist_var(
            "__LOG_.*|ast_config_AST_CONFIG_DIR|ast_config_AST_DATA_DIR|ast_config_AST_LOG_DIR|ast_config_AST_SPOOL_DIR|ast_format_slin16|EVENT_FLAG_CALL|AST_CONTROL_HANGUP",
        )
        .allowlist_item(
            "ast_module_load_result|ast_cli_command|ast_frame_type|ast_control_frame_type|ast_http_method\
             |ast_audiohook_type|ast_audiohook_init_flags|ast_audiohook_direction",
        )
        .default_enum_style(bindgen::EnumVariation::Consts)
        .opaque_type("ast_channel")
        .opaque_type("ast_tcptls_session_instance")
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for (name, value) in MODULE_DEFINES {
        builder = builder.clang_arg(format!("-D{name}={value}"));
    }
    let bindings = builder.generate().expect("bindgen over the Asterisk headers failed");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("asterisk_sys.rs");
    bindings.write_to_file(out).unwrap();
}

fn compile_shim(include_dir: &Path) {
    println!("cargo:rerun-if-changed=src/ast/shim.c");
    let mut build = cc::Build::new();
    build.file("src/ast/shim.c").include(include_dir).flag("-fno-strict-aliasing").warnings(false);
    for (name, value) in MODULE_DEFINES {
        build.define(name, Some(*value));
    }
    // whole-archive: the shim's constructor registers the module; the linker must keep it.
    build.link_lib_modifier("+whole-archive");
    build.compile("minibot_shim");
}
