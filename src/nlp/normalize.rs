//! Text as the classifier sees it: lower case, accents folded, elisions and hyphens split
//! ("n'est-ce" -> "n est ce"), punctuation gone. "où" keeps its own token ("ou_") so that it is
//! not the conjunction "ou".

pub fn fold_char(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        'œ' => 'o', // "cœur" -> "cor": never a cue
        c => c,
    }
}

/// Tokens of an utterance, normalized.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase().replace('’', "'");
    let mut out = Vec::new();
    for raw in lower.split(|c: char| c.is_whitespace() || matches!(c, '\'' | '-' | ',' | '.' | '!' | '?' | ';' | ':' | '"' | '(' | ')')) {
        if raw.is_empty() {
            continue;
        }
        if raw == "où" {
            out.push("ou_".to_string());
            continue;
        }
        let folded: String = raw.chars().map(fold_char).filter(|c| c.is_alphanumeric() || *c == '_').collect();
        if !folded.is_empty() {
            out.push(folded);
        }
    }
    out
}

/// The normalized utterance as " tok tok tok ", for whole-word phrase matching.
pub fn padded(tokens: &[String]) -> String {
    format!(" {} ", tokens.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_splits_elisions_and_hyphens() {
        assert_eq!(tokens("Je n'ai PAS d'épargne, rappelez-moi !"), ["je", "n", "ai", "pas", "d", "epargne", "rappelez", "moi"]);
        assert_eq!(tokens("c’est où ?"), ["c", "est", "ou_"]);
        assert_eq!(tokens("un livret A ou un PEL"), ["un", "livret", "a", "ou", "un", "pel"]);
        assert_eq!(padded(&tokens("Assurance-vie")), " assurance vie ");
        assert!(tokens("  ... ").is_empty());
    }
}
