//! Go's `unicode.IsLower`, which go test's naming rule for tests uses: the
//! general category Ll only. Rust's `char::is_lowercase` is Unicode's
//! Lowercase property, which also counts Other_Lowercase (`ª`, `ʰ`, …):
//! go test runs `Testª` and `Testʰ` as tests.

/// Go's `unicode.Lower` table (general category Ll) as of Go 1.27 (Unicode
/// 17.0.0): (first, last, stride), sorted. Letters assigned after Unicode
/// 15.0.0 are not letters for Go 1.21 to 1.26 (Unicode 15.0.0) and cannot
/// appear in a name that compiles there, so for all of them this table is
/// Go's, but for [`BY_GO_VERSION`].
#[rustfmt::skip]
const LL: &[(u32, u32, u32)] = &[
    (0x0061, 0x007A, 1), (0x00B5, 0x00DF, 42), (0x00E0, 0x00F6, 1), (0x00F8, 0x00FF, 1),
    (0x0101, 0x0137, 2), (0x0138, 0x0148, 2), (0x0149, 0x0177, 2), (0x017A, 0x017E, 2),
    (0x017F, 0x0180, 1), (0x0183, 0x0185, 2), (0x0188, 0x018C, 4), (0x018D, 0x0192, 5),
    (0x0195, 0x0199, 4), (0x019A, 0x019B, 1), (0x019E, 0x01A1, 3), (0x01A3, 0x01A5, 2),
    (0x01A8, 0x01AA, 2), (0x01AB, 0x01AD, 2), (0x01B0, 0x01B4, 4), (0x01B6, 0x01B9, 3),
    (0x01BA, 0x01BD, 3), (0x01BE, 0x01BF, 1), (0x01C6, 0x01CC, 3), (0x01CE, 0x01DC, 2),
    (0x01DD, 0x01EF, 2), (0x01F0, 0x01F3, 3), (0x01F5, 0x01F9, 4), (0x01FB, 0x0233, 2),
    (0x0234, 0x0239, 1), (0x023C, 0x023F, 3), (0x0240, 0x0242, 2), (0x0247, 0x024F, 2),
    (0x0250, 0x0293, 1), (0x0296, 0x02AF, 1), (0x0371, 0x0373, 2), (0x0377, 0x037B, 4),
    (0x037C, 0x037D, 1), (0x0390, 0x03AC, 28), (0x03AD, 0x03CE, 1), (0x03D0, 0x03D1, 1),
    (0x03D5, 0x03D7, 1), (0x03D9, 0x03EF, 2), (0x03F0, 0x03F3, 1), (0x03F5, 0x03FB, 3),
    (0x03FC, 0x0430, 52), (0x0431, 0x045F, 1), (0x0461, 0x0481, 2), (0x048B, 0x04BF, 2),
    (0x04C2, 0x04CE, 2), (0x04CF, 0x052F, 2), (0x0560, 0x0588, 1), (0x10D0, 0x10FA, 1),
    (0x10FD, 0x10FF, 1), (0x13F8, 0x13FD, 1), (0x1C80, 0x1C88, 1), (0x1C8A, 0x1D00, 118),
    (0x1D01, 0x1D2B, 1), (0x1D6B, 0x1D77, 1), (0x1D79, 0x1D9A, 1), (0x1E01, 0x1E95, 2),
    (0x1E96, 0x1E9D, 1), (0x1E9F, 0x1EFF, 2), (0x1F00, 0x1F07, 1), (0x1F10, 0x1F15, 1),
    (0x1F20, 0x1F27, 1), (0x1F30, 0x1F37, 1), (0x1F40, 0x1F45, 1), (0x1F50, 0x1F57, 1),
    (0x1F60, 0x1F67, 1), (0x1F70, 0x1F7D, 1), (0x1F80, 0x1F87, 1), (0x1F90, 0x1F97, 1),
    (0x1FA0, 0x1FA7, 1), (0x1FB0, 0x1FB4, 1), (0x1FB6, 0x1FB7, 1), (0x1FBE, 0x1FC2, 4),
    (0x1FC3, 0x1FC4, 1), (0x1FC6, 0x1FC7, 1), (0x1FD0, 0x1FD3, 1), (0x1FD6, 0x1FD7, 1),
    (0x1FE0, 0x1FE7, 1), (0x1FF2, 0x1FF4, 1), (0x1FF6, 0x1FF7, 1), (0x210A, 0x210E, 4),
    (0x210F, 0x2113, 4), (0x212F, 0x2139, 5), (0x213C, 0x213D, 1), (0x2146, 0x2149, 1),
    (0x214E, 0x2184, 54), (0x2C30, 0x2C5F, 1), (0x2C61, 0x2C65, 4), (0x2C66, 0x2C6C, 2),
    (0x2C71, 0x2C73, 2), (0x2C74, 0x2C76, 2), (0x2C77, 0x2C7B, 1), (0x2C81, 0x2CE3, 2),
    (0x2CE4, 0x2CEC, 8), (0x2CEE, 0x2CF3, 5), (0x2D00, 0x2D25, 1), (0x2D27, 0x2D2D, 6),
    (0xA641, 0xA66D, 2), (0xA681, 0xA69B, 2), (0xA723, 0xA72F, 2), (0xA730, 0xA731, 1),
    (0xA733, 0xA771, 2), (0xA772, 0xA778, 1), (0xA77A, 0xA77C, 2), (0xA77F, 0xA787, 2),
    (0xA78C, 0xA78E, 2), (0xA791, 0xA793, 2), (0xA794, 0xA795, 1), (0xA797, 0xA7A9, 2),
    (0xA7AF, 0xA7B5, 6), (0xA7B7, 0xA7C3, 2), (0xA7C8, 0xA7CA, 2), (0xA7CD, 0xA7DB, 2),
    (0xA7F6, 0xA7FA, 4), (0xAB30, 0xAB5A, 1), (0xAB60, 0xAB68, 1), (0xAB70, 0xABBF, 1),
    (0xFB00, 0xFB06, 1), (0xFB13, 0xFB17, 1), (0xFF41, 0xFF5A, 1), (0x10428, 0x1044F, 1),
    (0x104D8, 0x104FB, 1), (0x10597, 0x105A1, 1), (0x105A3, 0x105B1, 1), (0x105B3, 0x105B9, 1),
    (0x105BB, 0x105BC, 1), (0x10CC0, 0x10CF2, 1), (0x10D70, 0x10D85, 1), (0x118C0, 0x118DF, 1),
    (0x16E60, 0x16E7F, 1), (0x16EBB, 0x16ED3, 1), (0x1D41A, 0x1D433, 1), (0x1D44E, 0x1D454, 1),
    (0x1D456, 0x1D467, 1), (0x1D482, 0x1D49B, 1), (0x1D4B6, 0x1D4B9, 1), (0x1D4BB, 0x1D4BD, 2),
    (0x1D4BE, 0x1D4C3, 1), (0x1D4C5, 0x1D4CF, 1), (0x1D4EA, 0x1D503, 1), (0x1D51E, 0x1D537, 1),
    (0x1D552, 0x1D56B, 1), (0x1D586, 0x1D59F, 1), (0x1D5BA, 0x1D5D3, 1), (0x1D5EE, 0x1D607, 1),
    (0x1D622, 0x1D63B, 1), (0x1D656, 0x1D66F, 1), (0x1D68A, 0x1D6A5, 1), (0x1D6C2, 0x1D6DA, 1),
    (0x1D6DC, 0x1D6E1, 1), (0x1D6FC, 0x1D714, 1), (0x1D716, 0x1D71B, 1), (0x1D736, 0x1D74E, 1),
    (0x1D750, 0x1D755, 1), (0x1D770, 0x1D788, 1), (0x1D78A, 0x1D78F, 1), (0x1D7AA, 0x1D7C2, 1),
    (0x1D7C4, 0x1D7C9, 1), (0x1D7CB, 0x1DF00, 1845), (0x1DF01, 0x1DF09, 1), (0x1DF0B, 0x1DF1E, 1),
    (0x1DF25, 0x1DF2A, 1), (0x1E922, 0x1E943, 1),  
];

/// Letters of every Go version's tables that are lower case (Ll) for some
/// and not for others: go test's answer for a name that goes on with one of
/// them depends on the Go that runs it. `ʕ` (U+0295) is Ll in Unicode
/// 15.0.0 (Go 1.21 to 1.26) and Lo from Unicode 16.0.0 (Go 1.27).
pub const BY_GO_VERSION: &[char] = &['\u{0295}'];

/// Whether Go's `unicode.IsLower` (as of Go 1.27) holds for `c`.
pub fn is_lower(c: char) -> bool {
    let c = u32::from(c);
    let at = LL.partition_point(|&(lo, _, _)| lo <= c);
    at.checked_sub(1)
        .map(|i| LL[i])
        .is_some_and(|(lo, hi, stride)| c <= hi && (c - lo) % stride == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `unicode.Other_Lowercase` as of Go 1.27 (Unicode 17.0.0).
    #[rustfmt::skip]
    const OTHER_LOWERCASE: &[(u32, u32, u32)] = &[
        (0x00AA, 0x00BA, 16), (0x02B0, 0x02B8, 1), (0x02C0, 0x02C1, 1), (0x02E0, 0x02E4, 1),
        (0x0345, 0x037A, 53), (0x10FC, 0x1D2C, 3120), (0x1D2D, 0x1D6A, 1), (0x1D78, 0x1D9B, 35),
        (0x1D9C, 0x1DBF, 1), (0x2071, 0x207F, 14), (0x2090, 0x209C, 1), (0x2170, 0x217F, 1),
        (0x24D0, 0x24E9, 1), (0x2C7C, 0x2C7D, 1), (0xA69C, 0xA69D, 1), (0xA770, 0xA7F1, 129),
        (0xA7F2, 0xA7F4, 1), (0xA7F8, 0xA7F9, 1), (0xAB5C, 0xAB5F, 1), (0xAB69, 0xAB69, 1),
        (0x10780, 0x10783, 3), (0x10784, 0x10785, 1), (0x10787, 0x107B0, 1), (0x107B2, 0x107BA, 1),
        (0x1E030, 0x1E06D, 1),   
    ];

    fn other_lowercase(c: char) -> bool {
        let c = u32::from(c);
        OTHER_LOWERCASE
            .iter()
            .any(|&(lo, hi, stride)| (lo..=hi).contains(&c) && (c - lo) % stride == 0)
    }

    #[test]
    fn lower_case_is_category_ll_as_in_go() {
        for (c, want) in [
            ('a', true),
            ('z', true),
            ('µ', true),
            ('ß', true),
            ('ÿ', true),
            ('ǆ', true),
            ('ω', true),
            ('ⅱ', false),
            ('A', false),
            ('ª', false),
            ('º', false),
            ('ʰ', false),
            ('ᵃ', false),
            ('ǅ', false),
            ('ʕ', false),
            ('ꟸ', false),
            ('_', false),
            ('1', false),
            ('\u{0345}', false),
            ('\u{1D41A}', true),
            ('\u{1E922}', true),
        ] {
            assert_eq!(is_lower(c), want, "{c:?}");
        }
        // The tables are sorted, apart, and every stride reaches its end.
        for t in [LL, OTHER_LOWERCASE] {
            for w in t.windows(2) {
                assert!(w[0].1 < w[1].0, "{w:?}");
            }
            assert!(t.iter().all(|&(lo, hi, s)| lo <= hi && s > 0 && (hi - lo) % s == 0));
        }
    }

    #[test]
    fn lower_case_is_rusts_lowercase_but_other_lowercase() {
        // Unicode's Lowercase property is Ll plus Other_Lowercase: with
        // Rust's tables at Go 1.27's Unicode version, every character must
        // agree.
        let mut ll = 0;
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            ll += usize::from(is_lower(c));
            if is_lower(c) {
                assert!(c.is_lowercase() && !other_lowercase(c), "{c:?}");
            } else if char::UNICODE_VERSION == (17, 0, 0) {
                assert_eq!(c.is_lowercase(), other_lowercase(c), "{c:?}");
            }
        }
        // unicode.IsLower holds for 2283 characters in Go 1.27.
        assert_eq!(ll, 2283);
        assert!(BY_GO_VERSION.iter().all(|&c| !is_lower(c) && !c.is_lowercase()));
    }
}
