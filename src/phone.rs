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
        // An error about a bad number does not print it either.
        assert!(!normalize("0612345678", None).unwrap_err().contains("12345"));
    }
}
