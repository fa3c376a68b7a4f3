//! Text as the classifier sees it: lower case, accents folded, elisions and hyphens split
//! ("n'est-ce" -> "n est ce"), punctuation gone. "où" keeps its own token ("ou_") so that it is
//! not the conjunction "ou". Letters a recognizer spells out one by one ("un p e a", "l d d s")
//! are one word again ("pea", "ldds"), as the cues and the corpus's other authors write them.

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
    for raw in join_spelled_letters(&lower).split(|c: char| c.is_whitespace() || matches!(c, '\'' | '-' | ',' | '.' | '!' | '?' | ';' | ':' | '"' | '(' | ')')) {
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

/// Runs of single letters written apart ("p e a") joined ("pea"). Only whitespace-separated
/// letters (an elision's "l'a" or "n'y" is not spelled out), and only a run with at least two
/// letters that are not French words alone ("il y a" stays; "a", "à", "y", "ô" are words).
fn join_spelled_letters(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let is_letter = |w: &str| {
        let mut chars = w.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
    };
    let is_word_alone = |w: &str| matches!(w, "a" | "à" | "y" | "ô");
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let run = words[i..].iter().take_while(|w| is_letter(w)).count();
        if run >= 2 && words[i..i + run].iter().filter(|w| !is_word_alone(w)).count() >= 2 {
            out.push(words[i..i + run].concat());
            i += run;
        } else {
            out.push(words[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
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

    #[test]
    fn spelled_out_letters_are_one_word() {
        assert_eq!(tokens("un p e a chez boursorama"), ["un", "pea", "chez", "boursorama"]);
        assert_eq!(tokens("bah juste le l d d s"), ["bah", "juste", "le", "ldds"]);
        assert_eq!(padded(&tokens("des s c p i")), padded(&tokens("des scpi")));
        // French words of one letter, and elisions, are not spelled out.
        assert_eq!(tokens("il y a un livret a"), ["il", "y", "a", "un", "livret", "a"]);
        assert_eq!(tokens("il n'y a pas y a rien"), ["il", "n", "y", "a", "pas", "y", "a", "rien"]);
        assert_eq!(tokens("il l'a à la banque"), ["il", "l", "a", "a", "la", "banque"]);
        assert_eq!(tokens("j'ai un p"), ["j", "ai", "un", "p"]);
    }
}
