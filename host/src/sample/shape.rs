//! Knobs that shape sample data like users' exports: how many distinct users and items, what
//! their ids look like, how many rows are interactions and how skewed item popularity is.
//! Every knob left unset keeps the classic sample, byte for byte.

use super::SampleError;

/// What generated ids look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum IdShape {
    /// 36-character UUID v4 text.
    Uuid,
    /// 64-character hex hash (a SHA-256 fingerprint, as Snowplow's domain_userid hashing gives).
    Hex64,
    /// Decimal numbers.
    Numeric,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shape {
    /// Distinct users [classic: rows / 25, within 10..=2M].
    pub users: Option<usize>,
    /// Distinct items [classic: rows / 100, within 12..=200k].
    pub items: Option<usize>,
    /// Shape of the anonymous (cookie) user ids [classic: 64-character hex].
    pub user_ids: Option<IdShape>,
    /// Shape of the item ids [classic: numeric].
    pub item_ids: Option<IdShape>,
    /// Percent of users that are logged in; their numeric login id becomes their user id
    /// [classic: 60].
    pub logged_in_percent: Option<u8>,
    /// Percent of ecommerce rows that are interactions (product views and transactions, 13:1)
    /// [classic: 70, 65 views and 5 transactions].
    pub interaction_percent: Option<u8>,
    /// Zipf exponent of item popularity (rank k drawn with weight 1 / k^s) [classic: a cubic
    /// skew, `items * u^3`].
    pub item_zipf: Option<f64>,
}

impl Shape {
    pub(super) fn check(&self) -> Result<(), SampleError> {
        let bad = |knob, value: String, expected| {
            Err(SampleError::Shape {
                knob,
                value,
                expected,
            })
        };
        for (knob, count) in [("users", self.users), ("items", self.items)] {
            if count == Some(0) {
                return bad(knob, "0".into(), "at least 1");
            }
        }
        for (knob, percent) in [
            ("logged-in percent", self.logged_in_percent),
            ("interaction percent", self.interaction_percent),
        ] {
            if let Some(p) = percent.filter(|&p| p > 100) {
                return bad(knob, p.to_string(), "0..=100");
            }
        }
        match self.item_zipf {
            Some(s) if !(0.0..=10.0).contains(&s) => {
                bad("item Zipf exponent", s.to_string(), "0..=10")
            }
            _ => Ok(()),
        }
    }
}

/// How a row picks one of `n` users or items.
pub(super) enum Popularity {
    /// `n * u^3`: a few popular entries, a long tail (the classic sample).
    Cubic,
    /// Zipf: cumulative weights of ranks 1..=n, searched with a uniform draw.
    Zipf(Vec<f64>),
}

impl Popularity {
    pub(super) fn zipf(n: usize, exponent: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += (rank as f64).powf(-exponent);
                total
            })
            .collect();
        Popularity::Zipf(cumulative)
    }

    pub(super) fn pick(&self, rng: &mut fastrand::Rng, n: usize) -> usize {
        match self {
            Popularity::Cubic => {
                let x = rng.f64();
                ((x * x * x) * n as f64) as usize % n.max(1)
            }
            Popularity::Zipf(cumulative) => {
                let target = rng.f64() * cumulative.last().copied().unwrap_or(0.0);
                cumulative.partition_point(|&c| c <= target).min(n - 1)
            }
        }
    }
}

/// An id of the given shape; `index` numbers numeric ids from `first`.
pub(super) fn id(shape: IdShape, rng: &mut fastrand::Rng, first: u64, index: usize) -> String {
    match shape {
        IdShape::Uuid => uuid(rng),
        IdShape::Hex64 => hex64(rng),
        IdShape::Numeric => (first + index as u64).to_string(),
    }
}

pub(super) fn uuid(rng: &mut fastrand::Rng) -> String {
    let a = rng.u128(..);
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][rng.usize(..4)],
        &hex[17..20],
        &hex[20..32]
    )
}

pub(super) fn hex64(rng: &mut fastrand::Rng) -> String {
    format!("{:032x}{:032x}", rng.u128(..), rng.u128(..))
}
