//! The Reed–Solomon check over GF(32) behind session codes.
//!
//! Arithmetic is done bit by bit instead of with log tables: it is a few
//! dozen operations per code, and tables would cost snippet bytes.

/// x^5 + x^2 + 1, the field's primitive polynomial (bit 5 included).
const POLY: u8 = 0b10_0101;

/// α, the primitive element the generator's roots are powers of.
pub(crate) const ALPHA: u8 = 2;

/// α², the generator's second root.
pub(crate) const ALPHA2: u8 = 4;

/// g(x) = (x − α)(x − α²) = x² + (α + α²)·x + α³; subtraction is XOR here.
const G1: u8 = ALPHA ^ ALPHA2;
const G0: u8 = 8;

/// Product of two field elements (each < 32).
pub(crate) fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0b10_0000 != 0 {
            a ^= POLY;
        }
    }
    product
}

/// The two check symbols for six data symbols: the remainder of
/// m(x)·x² divided by g(x), highest degree first.
pub(crate) fn check_symbols(data: &[u8; 6]) -> [u8; 2] {
    // A two-stage LFSR division: r1 is the x¹ coefficient, r0 the x⁰ one.
    let (mut r1, mut r0) = (0u8, 0u8);
    for &m in data {
        let feedback = m ^ r1;
        r1 = r0 ^ mul(feedback, G1);
        r0 = mul(feedback, G0);
    }
    [r1, r0]
}

/// c(x) evaluated at `x`, with `symbols[0]` the highest-degree coefficient.
pub(crate) fn eval(symbols: &[u8; 8], x: u8) -> u8 {
    symbols.iter().fold(0, |acc, &c| mul(acc, x) ^ c)
}

/// True when the eight symbols form a codeword, i.e. both syndromes are zero.
pub(crate) fn is_codeword(symbols: &[u8; 8]) -> bool {
    eval(symbols, ALPHA) == 0 && eval(symbols, ALPHA2) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_constant_is_alpha_cubed() {
        assert_eq!(mul(ALPHA, ALPHA2), G0);
        assert_eq!(mul(ALPHA, ALPHA), ALPHA2);
    }

    #[test]
    fn alpha_generates_the_whole_multiplicative_group() {
        // Proves x^5 + x^2 + 1 is primitive with α = 2: the powers of α
        // visit all 31 non-zero elements before returning to 1.
        let mut seen = [false; 32];
        let mut x = 1u8;
        for _ in 0..31 {
            assert!(!seen[usize::from(x)], "α has order < 31");
            seen[usize::from(x)] = true;
            x = mul(x, ALPHA);
        }
        assert_eq!(x, 1);
        assert!(!seen[0] && seen[1..].iter().all(|&s| s));
    }

    #[test]
    fn multiplication_is_commutative_and_distributive() {
        for a in 0..32 {
            for b in 0..32 {
                assert_eq!(mul(a, b), mul(b, a));
                assert!(mul(a, b) < 32);
                for c in 0..32 {
                    assert_eq!(mul(a, b ^ c), mul(a, b) ^ mul(a, c));
                }
            }
        }
    }

    #[test]
    fn encoded_words_have_zero_syndromes() {
        let mut x = 0x2545_f491_u32;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let data: [u8; 6] = core::array::from_fn(|i| ((x >> (5 * i)) & 31) as u8);
            let [c6, c7] = check_symbols(&data);
            let word = [data[0], data[1], data[2], data[3], data[4], data[5], c6, c7];
            assert!(is_codeword(&word), "{word:?}");
        }
    }
}
