//! The house's layering, checked on the sources: each module imports only modules below it, so
//! data flows one way (audio -> VAD -> ASR -> intent -> scenario -> call -> store), the domain's
//! types sit at the bottom, and on top the Asterisk side: the unsafe layer, the dialer's runtime,
//! the loaded state, the operator's actions, the faces Asterisk calls, and the module's lifecycle,
//! which nothing imports. A `use crate::x` that runs back up, or sideways into a neighbour of the
//! same layer (the start of a circle), fails here with its file.

use std::fs;
use std::path::Path;

/// Bottom first. A module may use those of a lower layer (and itself), never the same layer's
/// neighbours or anything above.
const LAYERS: &[&[&str]] = &[
    &["domain", "config"],
    &["phone", "audio", "obs", "access"],
    &["vad", "amd", "recording"],
    &["asr"],
    &["nlp"],
    &["qualify"],
    &["campaign"],
    &["scenario"],
    &["call"],
    &["store"],
    &["settings"],
    // The Asterisk side (built with the `asterisk` feature).
    &["ast"],
    &["host::dialer"],
    &["host::state"],
    &["host::operator", "host::files"],
    &["host::app", "host::cli", "host::web"],
    &["host::module"],
];

/// The layer and the entry of LAYERS a module belongs to.
fn place_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS.iter().enumerate().find_map(|(i, layer)| {
        layer.iter().find(|m| module == **m || module.starts_with(&format!("{m}::"))).map(|m| (i, *m))
    })
}

/// `crate::a::b::...` references in a file (also inside `use crate::{a, b::c}`), as "a" or "a::b"
/// (the latter for `config`).
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::{") {
        let group = &text[i + "crate::{".len()..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        let flat: String = group.split(',').map(|item| format!("crate::{} ", item.trim())).collect();
        out.extend(references(&flat));
    }
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let path: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
        // `crate::host::{app, cli}`: each item of the group under its prefix.
        if let Some(group) = rest[path.len()..].strip_prefix('{').filter(|_| path.ends_with("::") && !path.is_empty()) {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            let flat: String = group.split(',').map(|item| format!("crate::{path}{} ", item.trim())).collect();
            out.extend(references(&flat));
            continue;
        }
        let mut parts = path.split("::").filter(|p| !p.is_empty());
        let Some(first) = parts.next() else { continue };
        out.push(match (first, parts.next()) {
            ("host", Some(second)) => format!("{first}::{second}"),
            _ => first.to_string(),
        });
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_import_runs_back_up() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().with_extension("");
        let module = relative.to_string_lossy().replace('/', "::").trim_end_matches("::mod").to_string();
        if module == "lib" || module == "config" || module == "host" {
            continue; // the crate's root and the folders' faces only declare modules
        }
        let Some((own, own_entry)) = place_of(&module) else {
            problems.push(format!("{}: module {module} has no layer in tests/layers.rs", file.display()));
            continue;
        };
        checked += 1;
        let text = fs::read_to_string(&file).unwrap();
        for used in references(&text) {
            if used == "version" {
                continue; // the crate root's version string
            }
            let Some((theirs, their_entry)) = place_of(&used) else {
                problems.push(format!("{}: uses crate::{used}, which has no layer", file.display()));
                continue;
            };
            let same_module = own_entry == their_entry;
            if theirs > own || (theirs == own && !same_module) {
                problems.push(format!("{}: crate::{used} (layer {theirs}) is not below {module} (layer {own})", file.display()));
            }
        }
    }
    assert!(checked > 70, "only {checked} files checked");
    assert!(problems.is_empty(), "imports that run back up:\n{}", problems.join("\n"));
}
