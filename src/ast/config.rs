//! Reads a configuration file through Asterisk's own config API (so #include, templates and
//! `astetcdir` work as everywhere else in Asterisk) into a plain [`Document`] with line numbers.

use super::{c_string, cstr_to_string, sys};
use crate::config::document::{Document, Entry, Section};

pub enum LoadError {
    /// The file does not exist in Asterisk's configuration directory.
    Missing,
    /// Asterisk's parser refused it (it logs the reason itself).
    Invalid,
}

pub fn load(filename: &str) -> Result<Document, LoadError> {
    let file = c_string(filename);
    let flags = sys::ast_flags { flags: 0 };
    // SAFETY: valid strings; the returned config is destroyed below on every path.
    let cfg = unsafe { sys::ast_config_load2(file.as_ptr(), c"res_minibot".as_ptr(), flags) };
    match cfg as isize {
        0 => return Err(LoadError::Missing),
        -2 => return Err(LoadError::Invalid), // CONFIG_STATUS_FILEINVALID
        -1 => return Err(LoadError::Invalid), // CONFIG_STATUS_FILEUNCHANGED: not asked for
        _ => {}
    }
    // Errors name the full path an operator would open.
    let path = format!("{}/{filename}", super::config_dir());
    let mut document = Document { file: path.clone(), sections: Vec::new() };
    // SAFETY: `cfg` is a valid config until destroyed; category names and variables belong to it
    // and are copied before it is destroyed.
    unsafe {
        let mut category = sys::ast_category_browse(cfg, std::ptr::null());
        while !category.is_null() {
            let mut section = Section { name: cstr_to_string(category), line: 0, entries: Vec::new() };
            let mut var = sys::ast_variable_browse(cfg, category);
            while !var.is_null() {
                let v = &*var;
                if section.line == 0 {
                    section.line = (v.lineno as u32).saturating_sub(1);
                }
                // Asterisk leaves `file` unset for lines of the top-level file (set for #include'd ones).
                let origin = cstr_to_string(v.file);
                section.entries.push(Entry {
                    key: cstr_to_string(v.name),
                    value: cstr_to_string(v.value),
                    file: if origin.is_empty() { path.clone() } else { origin },
                    line: v.lineno.max(0) as u32,
                });
                var = v.next;
            }
            document.sections.push(section);
            category = sys::ast_category_browse(cfg, category);
        }
        sys::ast_config_destroy(cfg);
    }
    Ok(document)
}
