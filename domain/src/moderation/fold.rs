//! Text as the filters read it: compatibility-decomposed (full-width
//! letters become ASCII, ligatures their letters), accents and invisible
//! characters (zero-width joiners, variation selectors) dropped, lowercased.
//! `ＢＵＹ`, `Bùy` and `b\u{200d}uy` all read `buy`.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing and only split words for a filter.
pub(super) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// The folded text. At most a bounded factor longer than the input (one
/// character decomposes into at most 18), so a 500-character message stays
/// small.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd() {
        if invisible(c) || is_combining_mark(c) {
            continue;
        }
        folded.extend(c.to_lowercase());
    }
    folded
}

/// The folded words: runs of letters and digits.
pub(super) fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// A stable digest of a message's words, for "the same message again"
/// (FNV-1a: the same in every process and every replay).
/// A message of symbols only (`😀😀😀`) is digested by its characters.
pub fn digest(text: &str) -> u64 {
    let folded = fold(text);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let tokens: Vec<&str> =
        if words(&folded).next().is_some() { words(&folded).collect() } else { folded.split_whitespace().collect() };
    for word in tokens {
        for byte in word.bytes().chain([b' ']) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_accents_case_and_invisibles() {
        assert_eq!(fold("ＢＵＹ Fòllöwers"), "buy followers");
        assert_eq!(fold("b\u{200d}u\u{200b}y"), "buy");
        assert_eq!(fold("ﬁne"), "fine");
        assert_eq!(digest("Hello, world!"), digest("hello world"));
        assert_ne!(digest("hello world"), digest("hello there"));
        assert_ne!(digest("😀😀"), digest("🎉"));
    }
}
