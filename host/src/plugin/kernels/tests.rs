//! Each kernel against a row-by-row reading of the same rows, and every malformed argument
//! refused with the kernel and the argument named.

use proptest::prelude::*;

use super::*;

fn utf8(rows: &[Vec<u8>]) -> Utf8Values {
    let mut offsets = vec![0i32];
    for row in rows {
        offsets.push(offsets.last().unwrap() + row.len() as i32);
    }
    Utf8Values {
        offsets: offsets.iter().flat_map(|o| o.to_le_bytes()).collect(),
        data: rows.concat(),
    }
}

fn rows_of(values: &Utf8Values) -> Vec<Vec<u8>> {
    let offsets: Vec<usize> = (values.offsets.chunks(4))
        .map(|o| i32::from_le_bytes(o.try_into().unwrap()) as usize)
        .collect();
    assert_eq!(offsets[0], 0, "returned offsets start at 0");
    assert_eq!(*offsets.last().unwrap(), values.data.len(), "no slack data");
    offsets
        .windows(2)
        .map(|w| values.data[w[0]..w[1]].to_vec())
        .collect()
}

fn bitmap(flags: &[bool]) -> Vec<u8> {
    let mut bytes = vec![0u8; flags.len().div_ceil(8)];
    for (i, _) in flags.iter().enumerate().filter(|(_, f)| **f) {
        bytes[i / 8] |= 1 << (i % 8);
    }
    bytes
}

fn kept<T: Clone>(values: &[T], keep: &[bool]) -> Vec<T> {
    (values.iter().zip(keep))
        .filter(|(_, k)| **k)
        .map(|(v, _)| v.clone())
        .collect()
}

fn rows_and_flags(max: usize) -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>, bool, bool)>> {
    let text = prop::collection::vec(prop::sample::select(b"ab\xc3\xa9".to_vec()), 0..4);
    prop::collection::vec((text.clone(), text, any::<bool>(), any::<bool>()), 0..max)
}

proptest! {
    #[test]
    fn filters_and_choose_equal_a_row_by_row_reading(rows in rows_and_flags(70)) {
        let first: Vec<Vec<u8>> = rows.iter().map(|r| r.0.clone()).collect();
        let second: Vec<Vec<u8>> = rows.iter().map(|r| r.1.clone()).collect();
        let keep: Vec<bool> = rows.iter().map(|r| r.2).collect();
        let pick: Vec<bool> = rows.iter().map(|r| r.3).collect();

        let filtered = filter_utf8(utf8(&first), bitmap(&keep)).unwrap();
        prop_assert_eq!(rows_of(&filtered), kept(&first, &keep));

        let chosen = choose_utf8(bitmap(&pick), utf8(&first), utf8(&second)).unwrap();
        let expected: Vec<Vec<u8>> = (0..rows.len())
            .map(|i| if pick[i] { first[i].clone() } else { second[i].clone() })
            .collect();
        prop_assert_eq!(rows_of(&chosen), expected);

        let bits = filter_bits(bitmap(&pick), rows.len() as u32, bitmap(&keep)).unwrap();
        prop_assert_eq!(bits, bitmap(&kept(&pick, &keep)));
    }

    #[test]
    fn fixed64_filter_and_floor_division_equal_a_row_by_row_reading(
        values in prop::collection::vec(any::<i64>(), 0..70),
        keep_seed in any::<u64>(),
        divisor in prop_oneof![Just(1_000_000i64), 1..i64::MAX],
    ) {
        let keep: Vec<bool> = (0..values.len()).map(|i| keep_seed >> (i % 64) & 1 == 1).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let filtered = filter_fixed64(bytes.clone(), bitmap(&keep)).unwrap();
        let expected: Vec<u8> = kept(&values, &keep).iter().flat_map(|v| v.to_le_bytes()).collect();
        prop_assert_eq!(filtered, expected);

        let divided = floor_divide(bytes, divisor).unwrap();
        let floored: Vec<u8> = values
            .iter()
            .map(|&v| {
                let (q, r) = (v / divisor, v % divisor);
                if r < 0 { q - 1 } else { q }
            })
            .flat_map(|v| v.to_le_bytes())
            .collect();
        prop_assert_eq!(divided, floored);
    }
}

#[test]
fn microseconds_floor_to_seconds_before_1970() {
    let micros = [0i64, -1, -1_000_000, -1_000_001, 1_999_999];
    let bytes: Vec<u8> = micros.iter().flat_map(|v| v.to_le_bytes()).collect();
    let seconds: Vec<i64> = (floor_divide(bytes, 1_000_000).unwrap().chunks(8))
        .map(|s| i64::from_le_bytes(s.try_into().unwrap()))
        .collect();
    assert_eq!(seconds, [0, -1, -1, -2, 1]);
}

fn message(error: KernelError) -> String {
    error.to_string()
}

#[test]
fn malformed_arguments_are_refused_with_kernel_and_argument_named() {
    let three = utf8(&[b"ab".to_vec(), b"c".to_vec(), b"".to_vec()]);
    let short_keep = message(filter_utf8(three.clone(), vec![]).unwrap_err());
    assert!(short_keep.contains("filter-utf8") && short_keep.contains("keep has 0 bytes"));

    let mut decreasing = three.clone();
    decreasing.offsets[4..8].copy_from_slice(&5i32.to_le_bytes());
    let e = message(filter_utf8(decreasing, vec![0xff]).unwrap_err());
    assert!(
        e.contains("values.offsets are negative or decreasing"),
        "{e}"
    );

    let mut past_the_data = three.clone();
    past_the_data.data.truncate(1);
    let e = message(choose_utf8(vec![0xff], three.clone(), past_the_data).unwrap_err());
    assert!(
        e.contains("choose-utf8: second.offsets reach byte 3"),
        "{e}"
    );

    let ragged = Utf8Values {
        offsets: vec![0; 6],
        data: vec![],
    };
    let e = message(filter_utf8(ragged, vec![0xff]).unwrap_err());
    assert!(e.contains("not a whole number of 4-byte values"), "{e}");

    let two = utf8(&[b"x".to_vec(), b"y".to_vec()]);
    let e = message(choose_utf8(vec![0xff], three, two).unwrap_err());
    assert!(e.contains("first has 3 rows, second 2"), "{e}");

    let e = message(filter_fixed64(vec![0; 12], vec![0xff]).unwrap_err());
    assert!(e.contains("filter-fixed64: values has 12 bytes"), "{e}");
    let e = message(filter_bits(vec![0xff], 9, vec![0xff, 0xff]).unwrap_err());
    assert!(
        e.contains("filter-bits: bits has 1 bytes, 9 rows need 2"),
        "{e}"
    );
    let e = message(floor_divide(vec![0; 8], 0).unwrap_err());
    assert!(e.contains("floor-divide: divisor is 0"), "{e}");
}

#[test]
fn filtered_bits_past_the_last_row_are_zero() {
    // Nine set bits with padding bits set too: the result's padding must still be clear.
    let bits = filter_bits(vec![0xff, 0xff], 9, vec![0xff, 0x01]).unwrap();
    assert_eq!(bits, [0xff, 0x01]);
    let bits = filter_bits(vec![0xff, 0xff], 9, vec![0xfe, 0x00]).unwrap();
    assert_eq!(bits, [0x7f]);
}
