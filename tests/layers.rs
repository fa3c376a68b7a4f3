//! The house's layering, checked on the sources: each pure module imports only modules below it,
//! so data flows one way (audio -> VAD -> ASR -> intent -> scenario -> call -> store) and the shared
//! vocabulary sits at the bottom. A `use crate::x` that runs back up fails here with its file.

use std::fs;
use std::path::Path;

/// Bottom first. A module may use those of a lower layer (and itself), never the same layer's
/// neighbours or anything above. The Asterisk-facing glue (ast, app, module, cli) is on top.
const LAYERS: &[&[&str]] = &[
    &["vocab"],
    &["config::document", "phone", "audio", "obs", "access"],
    &["vad", "amd", "recording"],
    &["asr"],
    &["nlp"],
    &["qualify"],
    &["campaign"],
    &["scenario"],
    &["call"],
    &["store"],
    &["config::settings"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.iter().any(|m| module == *m || module.starts_with(&format!("{m}::"))))
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
        let mut parts = path.split("::").filter(|p| !p.is_empty());
        let Some(first) = parts.next() else { continue };
        out.push(match (first, parts.next()) {
            ("config", Some(second)) => format!("config::{second}"),
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
        let Some(own) = layer_of(&module) else { continue }; // the Asterisk glue on top
        checked += 1;
        let text = fs::read_to_string(&file).unwrap();
        for used in references(&text) {
            let Some(theirs) = layer_of(&used) else {
                problems.push(format!("{}: uses crate::{used}, which is not a pure module", file.display()));
                continue;
            };
            let same_module = LAYERS[own].iter().any(|m| module == *m || module.starts_with(&format!("{m}::"))) && used.split("::").next() == module.split("::").next();
            if theirs > own || (theirs == own && !same_module) {
                problems.push(format!("{}: crate::{used} (layer {theirs}) is not below {module} (layer {own})", file.display()));
            }
        }
    }
    assert!(checked > 25, "only {checked} files checked");
    assert!(problems.is_empty(), "imports that run back up:\n{}", problems.join("\n"));
}
