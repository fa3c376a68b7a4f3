//! The configuration-file reader every MiniBot file shares: sections of `key = value` entries,
//! each with the file and line it came from, and errors that name them. Asterisk parses the files
//! (src/ast/config.rs turns its result into a [`Document`]); `parse_str` reads the same format
//! outside Asterisk (tests, `make eval`).

use std::fmt;

/// A configuration file as Asterisk read it: sections of `key = value` lines with their origin.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub file: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: String,
    /// Line of the `[name]` header when known (0 when not).
    pub line: u32,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// The file the line came from (an #include may differ from the document's file).
    pub file: String,
    pub line: u32,
}

impl Document {
    /// Parses the subset of Asterisk's format the module's own files use (`[section]`,
    /// `key = value`, `key => value`, `;` comments). Inside Asterisk, its parser is used instead;
    /// this one serves tests and tools that read the same files outside Asterisk.
    pub fn parse_str(file: &str, text: &str) -> Result<Document, ConfigError> {
        let mut document = Document { file: file.to_string(), sections: Vec::new() };
        for (index, raw) in text.lines().enumerate() {
            let line = index as u32 + 1;
            let content = strip_comment(raw).trim();
            if content.is_empty() {
                continue;
            }
            if let Some(rest) = content.strip_prefix('[') {
                let Some(end) = rest.find(']') else {
                    return Err(ConfigError::at(file, line, "", "", "section header without a closing ']'"));
                };
                document.sections.push(Section { name: rest[..end].trim().to_string(), line, entries: Vec::new() });
                continue;
            }
            let Some(eq) = content.find('=') else {
                return Err(ConfigError::at(file, line, "", "", "expected 'key = value'"));
            };
            let key = content[..eq].trim().to_string();
            let value = content[eq + 1..].trim_start_matches('>').trim().to_string();
            let Some(section) = document.sections.last_mut() else {
                return Err(ConfigError::at(file, line, "", &key, "setting outside of any [section]"));
            };
            section.entries.push(Entry { key, value, file: file.to_string(), line });
        }
        Ok(document)
    }
}

fn strip_comment(line: &str) -> &str {
    // `\;` escapes a literal semicolon in Asterisk's format; no value of ours needs one.
    match line.find(';') {
        Some(i) => &line[..i],
        None => line,
    }
}

/// A configuration problem, located precisely enough for an operator to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub section: String,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn at(file: &str, line: u32, section: &str, key: &str, message: &str) -> ConfigError {
        ConfigError { file: file.into(), line, section: section.into(), key: key.into(), message: message.into() }
    }

    pub fn for_entry(section: &str, entry: &Entry, message: String) -> ConfigError {
        ConfigError { file: entry.file.clone(), line: entry.line, section: section.into(), key: entry.key.clone(), message }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        if !self.section.is_empty() {
            write!(f, ", section [{}]", self.section)?;
        }
        if !self.key.is_empty() {
            write!(f, ", key '{}'", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Asterisk's own truth values (ast_true / ast_false).
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" | "t" | "1" | "on" => Some(true),
        "no" | "false" | "n" | "f" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_rejects_malformed_lines_with_their_number() {
        let err = Document::parse_str("x.conf", "[general]\njust words\n").unwrap_err();
        assert_eq!((err.line, err.message.as_str()), (2, "expected 'key = value'"));
        assert!(Document::parse_str("x.conf", "key = 1\n").is_err());
        assert!(Document::parse_str("x.conf", "[general\n").is_err());
    }

    #[test]
    fn truth_values_follow_asterisk() {
        for v in ["yes", "TRUE", "on", "1", "y"] {
            assert_eq!(parse_bool(v), Some(true), "{v}");
        }
        for v in ["no", "False", "off", "0", "n"] {
            assert_eq!(parse_bool(v), Some(false), "{v}");
        }
        assert_eq!(parse_bool("oui"), None);
    }
}

/// One `key = value` of a section, for the configuration type it fills: the value read as a
/// bounded number or a yes/no, and errors that name the file, line, section and key.
pub struct Key<'a> {
    pub section: &'a str,
    pub entry: &'a Entry,
}

impl<'a> Key<'a> {
    pub fn name(&self) -> &'a str {
        &self.entry.key
    }

    pub fn value(&self) -> &'a str {
        self.entry.value.trim()
    }

    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::for_entry(self.section, self.entry, message.into())
    }

    /// A whole number from `min` to `max`.
    pub fn number(&self, min: u32, max: u32) -> Result<u32, ConfigError> {
        let value = self.value();
        value.parse().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| self.error(format!("'{value}' is not a whole number from {min} to {max}")))
    }

    /// yes or no (and their usual spellings).
    pub fn boolean(&self) -> Result<bool, ConfigError> {
        parse_bool(self.value()).ok_or_else(|| self.error(format!("'{}' is not yes or no", self.value())))
    }

    /// A path under one of Asterisk's directories (or absolute), that cannot climb out of it.
    pub fn no_climbing(&self) -> Result<String, ConfigError> {
        let value = self.value();
        if value.contains("..") {
            return Err(self.error(format!("'{value}' must not contain '..'")));
        }
        Ok(value.to_string())
    }

    /// The warning for a key no type knows: a typo must not stop calls.
    pub fn unknown(&self) -> String {
        format!("{} line {}: unknown key '{}' in [{}] ignored", self.entry.file, self.entry.line, self.entry.key, self.section)
    }
}

/// A configuration type that reads its own section of minibot.conf, key by key.
pub trait FromKeys {
    /// Applies `key`; Ok(false) when it is not one of this type's keys.
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError>;
}
