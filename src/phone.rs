//! Phone numbers: E.164 normalization (the database enforces it) and the masked form that logs and
//! AMI events show (a full number is personal data; it lives in the database only).

/// E.164 or a clear reason: "+33612345678" stays, "06 12 34 56 78" becomes +33612345678 when a
/// default country code is given.
pub fn normalize(raw: &str, default_country: Option<&str>) -> Result<String, String> {
    let cleaned: String = raw.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let e164 = if let Some(rest) = cleaned.strip_prefix("00") {
        format!("+{rest}")
    } else if cleaned.starts_with('+') {
        cleaned
    } else if let (Some(cc), Some(national)) = (default_country, cleaned.strip_prefix('0')) {
        format!("+{cc}{national}")
    } else {
        return Err(format!("'{}' is not an E.164 number (+country code and number)", mask(raw)));
    };
    let digits = &e164[1..];
    let valid = (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    if valid {
        Ok(e164)
    } else {
        Err(format!("'{}' is not an E.164 number (+country code and 7 to 15 digits)", mask(raw)))
    }
}

/// A number as logs may show it: the country and the first digit, the last two, dots between
/// ("+33 6 .. .. .. 78"). Works on anything, normalized or not; at most five digits show, and
/// never the six in the middle that tell one subscriber from another.
pub fn mask(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return "*".repeat(digits.len().max(1));
    }
    let plus = if number.trim_start().starts_with('+') { "+" } else { "" };
    // French numbers get their usual grouping; others a generic one.
    let head = if plus == "+" && digits.starts_with(&['3', '3']) { 3 } else { 2 };
    let shown_head: String = digits[..head].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    let hidden = digits.len() - head - 2;
    let dots = vec![".."; hidden.div_ceil(2)].join(" ");
    if head == 3 {
        format!("+33 {} {dots} {tail}", digits[2])
    } else {
        format!("{plus}{shown_head} {dots} {tail}")
    }
}

/// Masks every phone number inside free text (a log line, an AMI field, a channel name such as
/// "Local/33612345678@trunk-0000002a;1"): runs of 7 to 15 digits, with an optional '+', standing
/// on their own. Left alone: digits glued to letters, after '-' or '.' (channel sequence numbers,
/// call keys), and runs followed by '.' and a digit (Asterisk uniqueids, "1795600000.12").
pub fn mask_in_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let plus = chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if !(chars[i].is_ascii_digit() || plus) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        let glued_before = start > 0 && (chars[start - 1].is_alphanumeric() || matches!(chars[start - 1], '-' | '.' | '_'));
        if !glued_before {
            if let Some(end) = grouped_number(&chars, start) {
                out += &mask(&chars[start..end].iter().collect::<String>());
                i = end;
                continue;
            }
        }
        let mut end = if plus { i + 1 } else { i };
        while end < chars.len() && chars[end].is_ascii_digit() {
            end += 1;
        }
        let digits = end - start - usize::from(plus);
        let glued_after = chars.get(end).is_some_and(|c| c.is_alphanumeric() || *c == '_')
            || (chars.get(end) == Some(&'.') && chars.get(end + 1).is_some_and(char::is_ascii_digit));
        let run: String = chars[start..end].iter().collect();
        if (7..=15).contains(&digits) && !glued_before && !glued_after {
            out += &mask(&run);
        } else {
            out += &run;
        }
        i = end;
    }
    out
}

/// A number written in groups ("06 12 34 56 78", "+33 6 12 34 56 78", "06.12.34.56.78"): a first
/// group of 1 to 4 digits (after an optional '+'), then at least three groups of 1 to 3 digits,
/// each after one space, dot or dash, 9 to 15 digits in all. Returns where it ends. Dates, times,
/// versions and addresses have too few digits or groups; a uniqueid's first group is too long.
fn grouped_number(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + usize::from(chars[start] == '+');
    let mut groups = Vec::new();
    loop {
        let from = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i == from {
            return None; // a separator not followed by a digit: not part of the number
        }
        groups.push(i - from);
        let separated = i + 1 < chars.len() && matches!(chars[i], ' ' | '.' | '-') && chars[i + 1].is_ascii_digit();
        if !separated {
            break;
        }
        i += 1;
    }
    let digits: usize = groups.iter().sum();
    let shaped = groups[0] <= 4 && groups.len() >= 4 && groups[1..].iter().all(|g| *g <= 3);
    let glued_after = chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_');
    (shaped && (9..=15).contains(&digits) && !glued_after).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_e164() {
        assert_eq!(normalize("+33 6 12 34 56 78", None).unwrap(), "+33612345678");
        assert_eq!(normalize("0033612345678", None).unwrap(), "+33612345678");
        assert_eq!(normalize("06.12.34.56.78", Some("33")).unwrap(), "+33612345678");
        assert!(normalize("0612345678", None).unwrap_err().contains("not an E.164"));
        assert!(normalize("+33 6 12 ab", None).is_err());
        assert!(normalize("+12", None).is_err());
    }

    #[test]
    fn masked_numbers_hide_the_subscriber_digits() {
        assert_eq!(mask("+33612345678"), "+33 6 .. .. .. 78");
        assert_eq!(mask("+14155550123"), "+14 .. .. .. .. 23");
        assert_eq!(mask("0612345678"), "06 .. .. .. 78");
        assert_eq!(mask("123"), "***");
        for number in ["+33612345678", "+442071234567", "0612345678", "+861012345678901"] {
            let shown: String = mask(number).chars().filter(char::is_ascii_digit).collect();
            assert!(shown.len() <= 5, "{number} -> {}", mask(number));
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            assert!(!mask(number).contains(&digits[digits.len() - 8..digits.len() - 2]), "{number} -> {}", mask(number));
        }
        // Inside text: numbers masked, channel sequence numbers, uniqueids and keys kept.
        assert_eq!(
            mask_in_text("MiniBot on Local/33612345678@callees-00000000;1 (uniqueid 1795600000.12): callee +33612345678, key n1/1795600000.12"),
            "MiniBot on Local/33 .. .. .. .. 78@callees-00000000;1 (uniqueid 1795600000.12): callee +33 6 .. .. .. 78, key n1/1795600000.12"
        );
        assert_eq!(mask_in_text("minibot-n1-42-1 attempt 2, 20001 rows, 0612345678"), "minibot-n1-42-1 attempt 2, 20001 rows, 06 .. .. .. 78");
        assert_eq!(mask_in_text("é+33612345678é"), "é+33612345678é", "glued to letters");
        // Written in groups, as people and forms write them.
        assert_eq!(mask_in_text("rappelez le 06 12 34 56 78 demain"), "rappelez le 06 .. .. .. 78 demain");
        assert_eq!(mask_in_text("+33 6 12 34 56 78"), "+33 6 .. .. .. 78");
        assert_eq!(mask_in_text("06.12.34.56.78, ok"), "06 .. .. .. 78, ok");
        for kept in ["le 2026-11-26 à 10:00", "Asterisk 22.10.1", "127.0.0.1:5060", "uniqueid 1795600000.12", "score 90, 3 tours"] {
            assert_eq!(mask_in_text(kept), kept);
        }
        // An error about a bad number does not print it either.
        assert!(!normalize("0612345678", None).unwrap_err().contains("12345"));
    }
}
