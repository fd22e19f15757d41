//! Text a plugin may rely on: valid UTF-8, every value cut at character boundaries. Checked
//! for what plugins return, and for batches the Python runtime takes from pyarrow as they are.

/// Checks the text that `offsets` (of one string column, possibly a slice) span in `data`:
/// offsets from 0 or more, never decreasing, within `data`, all on character boundaries of
/// valid UTF-8. Only the bytes the offsets span are read.
pub fn checked_text(offsets: &[i32], data: &[u8]) -> Result<(), String> {
    let pairs = offsets.iter().zip(offsets.iter().skip(1));
    let decreasing = pairs.fold(false, |seen, (before, after)| seen | (after < before));
    let first = offsets.first().copied().unwrap_or_default();
    let last = offsets.last().copied().unwrap_or_default();
    if first < 0 || decreasing || last as usize > data.len() {
        return Err("its offsets are negative, decreasing or past its data".into());
    }
    checked_characters(offsets, data)
}

/// [`checked_text`] for offsets already known to be in order and within `data`.
pub(super) fn checked_characters(offsets: &[i32], data: &[u8]) -> Result<(), String> {
    let first = offsets.first().copied().unwrap_or_default();
    let last = offsets.last().copied().unwrap_or_default();
    let Some(text) = data.get(first.max(0) as usize..last.max(0) as usize) else {
        return Err("its offsets are past its data".into());
    };
    // Ids and most other text are ASCII, where every byte is a whole character: one fast
    // pass instead of UTF-8 validation and a look at every offset (with SIMD validation
    // alone, still a fifth of a plugin call on long ids).
    if text.is_ascii() {
        return Ok(());
    }
    if simdutf8::basic::from_utf8(text).is_err() {
        let error = std::str::from_utf8(text).expect_err("simdutf8 found an error");
        return Err(format!("{error} (not valid UTF-8)"));
    }
    // An offset inside a character points at a continuation byte (0b10xx_xxxx, below -0x40
    // as i8); the end of the text is a boundary. One pass with no early exit: it is rare.
    let inside = |offset: &i32| {
        let byte = text.get((offset - first) as usize);
        byte.is_some_and(|&b| (b as i8) < -0x40)
    };
    if !offsets
        .iter()
        .fold(false, |seen, offset| seen | inside(offset))
    {
        return Ok(());
    }
    let index = offsets.iter().position(inside).unwrap_or_default();
    Err(format!("offset {index} cuts a UTF-8 character"))
}

#[cfg(test)]
mod tests {
    use super::checked_text;

    #[test]
    fn whole_characters_pass() {
        let data = "aé日🚀".as_bytes();
        assert_eq!(checked_text(&[0, 1, 3, 6, 10], data), Ok(()));
        assert_eq!(
            checked_text(&[1, 3, 3], data),
            Ok(()),
            "a slice, an empty value"
        );
        assert_eq!(checked_text(&[], data), Ok(()));
    }

    #[test]
    fn a_cut_character_is_refused_with_its_offset() {
        let data = "aé日".as_bytes();
        let error = checked_text(&[0, 1, 2, 6], data).unwrap_err();
        assert_eq!(error, "offset 2 cuts a UTF-8 character");
        assert!(
            checked_text(&[4, 6], data).is_err(),
            "a slice starting inside"
        );
        let error = checked_text(&[0, 1], "é".as_bytes()).unwrap_err();
        assert!(
            error.contains("not valid UTF-8"),
            "a cut at the end: {error}"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_or_bad_offsets_are_refused() {
        let error = checked_text(&[0, 2], b"a\xff").unwrap_err();
        assert!(error.contains("not valid UTF-8"), "{error}");
        for offsets in [&[-1, 1][..], &[0, 2, 1], &[0, 3]] {
            assert!(checked_text(offsets, b"ab").is_err(), "{offsets:?}");
        }
    }
}
