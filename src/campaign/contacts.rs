//! Contact files: a CSV with a header row (comma or semicolon), one contact per row. Every bad row
//! is reported with its line number and reason and the good ones are kept; a number seen twice in
//! the file is reported once as a duplicate.

use crate::phone;
use std::collections::HashMap;
use std::io::Read;

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// E.164.
    pub phone: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Prior consent recorded: calling hours and frequency limits do not apply (opt-outs do).
    pub consent: bool,
    /// IANA zone (Europe/Paris, America/Martinique); None: the campaign's.
    pub timezone: Option<String>,
    /// The file's other columns (CRM id, agency, product held), by their normalized name, when
    /// not empty: kept with the contact, exported beside its lead, given to the LLM and to the
    /// dialplan.
    pub fields: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactFile {
    pub rows: Vec<ContactRow>,
    /// (line, reason)
    pub errors: Vec<(u64, String)>,
    /// (line, line of the first occurrence)
    pub duplicates: Vec<(u64, u64)>,
}

const PHONE: &[&str] = &["phone", "telephone", "téléphone", "tel", "numero", "numéro", "number", "mobile"];
const FIRST: &[&str] = &["first_name", "firstname", "prenom", "prénom", "first name"];
const LAST: &[&str] = &["last_name", "lastname", "nom", "name", "last name"];
const CONSENT: &[&str] = &["consent", "consentement", "opt_in"];
const ZONE: &[&str] = &["timezone", "time_zone", "tz", "fuseau", "fuseau_horaire"];
/// A contact's own columns beyond these: bounded, they travel in channel variables and exports.
pub const MAX_FIELDS: usize = 30;
pub const MAX_FIELD_CHARS: usize = 500;
/// All of a contact's fields together, as MINIBOT_FIELDS carries them (JSON): a channel variable
/// is read back through a 4 KiB buffer.
pub const MAX_FIELDS_BYTES: usize = 3000;

/// A field's value as the dialplan gets it in MINIBOT_FIELD_<NAME>: without the characters that
/// would split or evaluate an application's arguments once substituted (`Dial(...,${X})`). The
/// value as written stays in MINIBOT_FIELDS and the exports.
pub fn dialplan_safe(value: &str) -> String {
    value.chars().map(|c| if ",|\"$[](){};\\'`".contains(c) || c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// The channel variables a dialed call carries its contact's fields in: MINIBOT_FIELD_<NAME> for
/// the dialplan, and MINIBOT_FIELDS (a JSON object) for MiniBot().
pub const FIELD_VARIABLE_PREFIX: &str = "MINIBOT_FIELD_";
pub const FIELDS_VARIABLE: &str = "MINIBOT_FIELDS";

pub fn fields_json(fields: &[(String, String)]) -> String {
    serde_json::Value::Object(fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect()).to_string()
}

/// `fields_json` read back; anything else is no fields.
pub fn fields_from_json(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string()))).collect(),
        _ => Vec::new(),
    }
}

/// A column's name as a field: lower case, letters, digits and '_' (it names a channel variable,
/// MINIBOT_FIELD_<NAME>, and a placeholder of the LLM instructions, {name}).
pub fn field_name(header: &str) -> String {
    let mut name = String::new();
    for c in header.trim().to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        };
        if c != '_' || !name.ends_with('_') {
            name.push(c);
        }
    }
    name.trim_matches('_').to_string()
}

pub fn parse(mut input: impl Read, default_country: Option<&str>) -> Result<ContactFile, String> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes); // a spreadsheet's BOM
    let header_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if header_line.iter().filter(|b| **b == b';').count() > header_line.iter().filter(|b| **b == b',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim().to_lowercase().as_str()));
    let phone_col = column(PHONE).ok_or_else(|| format!("line 1: no phone column (one of: {})", PHONE.join(", ")))?;
    let (first_col, last_col, consent_col, zone_col) = (column(FIRST), column(LAST), column(CONSENT), column(ZONE));
    let known = [Some(phone_col), first_col, last_col, consent_col, zone_col];
    let mut extra: Vec<(usize, String)> = Vec::new();
    for (col, header) in headers.iter().enumerate().filter(|(col, _)| !known.contains(&Some(*col))) {
        let name = field_name(header);
        if name.is_empty() {
            continue; // an unnamed column (a trailing separator)
        }
        if extra.iter().any(|(_, n)| *n == name) {
            return Err(format!("line 1: two columns are named '{name}'"));
        }
        extra.push((col, name));
    }
    if extra.len() > MAX_FIELDS {
        return Err(format!("line 1: {} columns of the contact's own beyond phone, names, consent and zone; at most {MAX_FIELDS}", extra.len()));
    }
    let mut file = ContactFile::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.byte_records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                file.errors.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |col: Option<usize>| -> Result<Option<String>, String> {
            match col.and_then(|c| record.get(c)) {
                None => Ok(None),
                Some(raw) => {
                    let text = std::str::from_utf8(raw).map_err(|_| "not UTF-8 text".to_string())?.trim().to_string();
                    Ok((!text.is_empty()).then_some(text))
                }
            }
        };
        let row = (|| -> Result<ContactRow, String> {
            let raw_phone = field(Some(phone_col))?.ok_or("no phone number")?;
            let phone = phone::normalize(&raw_phone, default_country)?;
            let consent = match field(consent_col)?.map(|c| c.to_lowercase()) {
                None => false,
                Some(c) if ["yes", "oui", "true", "1", "y", "o"].contains(&c.as_str()) => true,
                Some(c) if ["no", "non", "false", "0", "n"].contains(&c.as_str()) => false,
                Some(c) => return Err(format!("consent '{c}' is not yes or no")),
            };
            let timezone = field(zone_col)?;
            if let Some(zone) = &timezone {
                zone.parse::<chrono_tz::Tz>().map_err(|_| format!("'{zone}' is not a time zone (e.g. Europe/Paris)"))?;
            }
            let mut fields = Vec::new();
            for (col, name) in &extra {
                if let Some(value) = field(Some(*col))? {
                    if value.chars().count() > MAX_FIELD_CHARS {
                        return Err(format!("column '{name}' holds more than {MAX_FIELD_CHARS} characters"));
                    }
                    if value.chars().any(char::is_control) {
                        return Err(format!("column '{name}' holds a control character (a line break, a tab, a NUL)"));
                    }
                    fields.push((name.clone(), value));
                }
            }
            if fields_json(&fields).len() > MAX_FIELDS_BYTES {
                return Err(format!("the contact's own columns hold more than {MAX_FIELDS_BYTES} bytes together"));
            }
            Ok(ContactRow { line, phone, first_name: field(first_col)?, last_name: field(last_col)?, consent, timezone, fields })
        })();
        match row {
            Err(reason) => file.errors.push((line, reason)),
            Ok(row) => match seen.get(&row.phone) {
                Some(first) => file.duplicates.push((line, *first)),
                None => {
                    seen.insert(row.phone.clone(), line);
                    file.rows.push(row);
                }
            },
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_kept_bad_rows_reported_by_line() {
        let text = "\u{feff}Téléphone;Prénom;Nom;Consentement;Fuseau\n\
                    06 12 34 56 78;Zoé;Lefèvre;oui;\n\
                    +33612345679;\"Jean; dit Jeannot\";Martin;;America/Martinique\n\
                    12;Bad;Number;;\n\
                    0612345678;Zoé;Doublon;;\n\
                    +33612345680;A;B;peut-être;\n\
                    +33612345681;A;B;;Mars/Olympus\n\
                    ;;;;\n";
        let file = parse(text.as_bytes(), Some("33")).unwrap();
        assert_eq!(file.rows.len(), 2);
        assert_eq!(file.rows[0], ContactRow {
            line: 2, phone: "+33612345678".into(), first_name: Some("Zoé".into()), last_name: Some("Lefèvre".into()), consent: true, timezone: None,
            fields: Vec::new(),
        });
        assert_eq!(file.rows[1].first_name.as_deref(), Some("Jean; dit Jeannot"));
        assert_eq!(file.rows[1].timezone.as_deref(), Some("America/Martinique"));
        assert_eq!(file.duplicates, vec![(5, 2)]);
        let lines: Vec<u64> = file.errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![4, 6, 7, 8], "{:?}", file.errors);
        assert!(file.errors[0].1.contains("E.164"), "{:?}", file.errors);
        assert!(!file.errors[0].1.contains("12;"), "the raw row is not echoed");
        assert!(file.errors[1].1.contains("consent"));
        assert!(file.errors[2].1.contains("time zone"));
        assert!(file.errors[3].1.contains("no phone"));
    }

    #[test]
    fn the_contact_s_own_columns_travel_with_it() {
        let text = "phone;CRM ID;Agence;Produit détenu;;notes\n+33612345678;CRM-001;Lyon Part-Dieu;PEL;;\n+33612345679;;Paris;;;x\n";
        let file = parse(text.as_bytes(), None).unwrap();
        assert_eq!(file.rows[0].fields, [("crm_id".to_string(), "CRM-001".to_string()), ("agence".into(), "Lyon Part-Dieu".into()), ("produit_detenu".into(), "PEL".into())]);
        assert_eq!(file.rows[1].fields, [("agence".to_string(), "Paris".to_string()), ("notes".into(), "x".into())], "empty cells are left out");
        assert!(parse("phone;agence;Agence\n".as_bytes(), None).unwrap_err().contains("two columns are named 'agence'"));
        let long = format!("phone;notes\n+33612345678;{}\n", "x".repeat(MAX_FIELD_CHARS + 1));
        assert!(parse(long.as_bytes(), None).unwrap().errors[0].1.contains("more than 500 characters"));
        let many = format!("phone;{}\n+33612345678;{}\n", (0..10).map(|i| format!("c{i}")).collect::<Vec<_>>().join(";"), vec!["y".repeat(400); 10].join(";"));
        assert!(parse(many.as_bytes(), None).unwrap().errors[0].1.contains("more than 3000 bytes together"));
        let broken = "phone;notes\n+33612345678;\"two\nlines\"\n";
        assert!(parse(broken.as_bytes(), None).unwrap().errors[0].1.contains("control character"));
        assert_eq!(dialplan_safe("Lyon, 3e (Part-Dieu) ${X}|\"a\""), "Lyon  3e  Part-Dieu    X   a");
        let wide = format!("phone;{}\n", (0..31).map(|i| format!("c{i}")).collect::<Vec<_>>().join(";"));
        assert!(parse(wide.as_bytes(), None).unwrap_err().contains("at most 30"));
    }

    #[test]
    fn commas_and_a_missing_phone_column() {
        let file = parse("phone,first_name\n+33612345678,Ann\n".as_bytes(), None).unwrap();
        assert_eq!(file.rows.len(), 1);
        assert!(parse("name,email\nx,y\n".as_bytes(), None).unwrap_err().contains("no phone column"));
    }
}
