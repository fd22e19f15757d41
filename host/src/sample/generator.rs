//! The row generator: users and items drawn once, then rows drawn from them.

use arrow_array::RecordBatch;
use arrow_schema::{DataType, TimeUnit};

use super::columns::Columns;
use super::shape::{IdShape, Popularity, id, uuid};
use super::{Domain, SampleSpec};

const CATEGORIES: &[&str] = &[
    "Clothing/Men/Shirts",
    "Clothing/Women/Dresses",
    "Clothing/Accessories/Beanies",
    "Electronics/Audio/Headphones",
    "Electronics/Phones",
    "Home & Garden/Kitchen",
    "Sports/Outdoor/Camping",
    "Beanies",
    "Books",
    "product/category",
];

struct User {
    domain_userid: String,
    /// Logged-in id; `None` for guests.
    user_id: Option<String>,
}

pub(super) struct Generator {
    domain: Domain,
    rng: fastrand::Rng,
    pub(super) columns: Columns,
    item_popularity: Popularity,
    /// Percent of rows that are interactions, when not the classic mix.
    interaction_percent: Option<u8>,
    users: Vec<User>,
    items: Vec<(String, Option<&'static str>, Option<f64>)>,
    first_micros: i64,
    span_micros: i64,
}

impl Generator {
    pub(super) fn new(spec: &SampleSpec, csv: bool) -> Self {
        use DataType::*;
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let columns = match spec.domain {
            Domain::Ecommerce => Columns::new(
                csv,
                &[
                    ("event_id", Utf8),
                    ("domain_userid", Utf8),
                    ("ecommerce_user_id", Utf8),
                    ("derived_tstamp", Timestamp(TimeUnit::Microsecond, None)),
                    ("ecommerce_action_type", Utf8),
                    ("product_id", Utf8),
                    ("product_category", Utf8),
                    ("product_price", Float64),
                    ("is_product_view", Boolean),
                    ("is_product_transaction", Boolean),
                    ("ecommerce_user_is_guest", Boolean),
                ],
            ),
            Domain::Media => Columns::new(
                csv,
                &[
                    ("play_id", Utf8),
                    ("user_id", Utf8),
                    ("user_identifier", Utf8),
                    ("media_identifier", Utf8),
                    ("start_tstamp", Timestamp(TimeUnit::Microsecond, None)),
                    ("is_valid_play", Boolean),
                ],
            ),
        };
        let shape = &spec.shape;
        let user_count =
            (shape.users).unwrap_or_else(|| (spec.rows / 25).clamp(10, 2_000_000) as usize);
        let (user_ids, logged_in) = (
            shape.user_ids.unwrap_or(IdShape::Hex64),
            shape.logged_in_percent.unwrap_or(60),
        );
        // Anonymous numeric ids start far above login ids, so the two never collide.
        let users = (0..user_count)
            .map(|i| User {
                domain_userid: id(user_ids, &mut rng, 1_000_000_000, i),
                user_id: (rng.u8(..100) < logged_in).then(|| format!("{}", 100_000 + i)),
            })
            .collect();
        let item_count =
            (shape.items).unwrap_or_else(|| (spec.rows / 100).clamp(12, 200_000) as usize);
        let items = (0..item_count)
            .map(|i| {
                let category =
                    (rng.u8(..100) >= 3).then(|| CATEGORIES[rng.usize(..CATEGORIES.len())]);
                let price = (rng.u8(..100) >= 2).then(|| (rng.u32(100..50_000) as f64) / 100.0);
                let id = match (shape.item_ids, spec.domain) {
                    (Some(item_ids), _) => id(item_ids, &mut rng, 1000, i),
                    (None, Domain::Ecommerce) => format!("{}", 1000 + i),
                    (None, Domain::Media) => format!("video-{:05}", i),
                };
                (id, category, price)
            })
            .collect();
        let days = spec.days.max(1) as i64;
        let last_midnight = spec
            .end_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_micros();
        let day = 86_400_000_000;
        Self {
            domain: spec.domain,
            rng,
            columns,
            item_popularity: match shape.item_zipf {
                Some(exponent) => Popularity::zipf(item_count, exponent),
                None => Popularity::Cubic,
            },
            interaction_percent: shape.interaction_percent,
            users,
            items,
            first_micros: last_midnight - (days - 1) * day,
            span_micros: days * day,
        }
    }

    pub(super) fn batch(&mut self, rows: u64) -> RecordBatch {
        for _ in 0..rows {
            match self.domain {
                Domain::Ecommerce => self.ecommerce_row(),
                Domain::Media => self.media_row(),
            }
        }
        self.columns.finish()
    }

    fn time(&mut self) -> i64 {
        // Millisecond precision, like Snowplow's derived_tstamp.
        self.first_micros + self.rng.i64(0..self.span_micros) / 1000 * 1000
    }

    fn ecommerce_row(&mut self) {
        let id = uuid(&mut self.rng);
        let user = &self.users[Popularity::Cubic.pick(&mut self.rng, self.users.len())];
        let item = &self.items[(self.item_popularity).pick(&mut self.rng, self.items.len())];
        let roll = self.rng.u8(..100);
        let roll = match self.interaction_percent {
            None => roll,
            Some(share) => remap_roll(&mut self.rng, roll, share),
        };
        let (action, view, transaction) = match roll {
            0..=64 => ("product_view", Some(true), Some(false)),
            65..=69 => ("transaction", Some(false), Some(true)),
            70..=79 => ("list_view", Some(false), None),
            80..=89 => ("add_to_cart", Some(false), Some(false)),
            _ => ("list_click", Some(false), Some(false)),
        };
        let guest = match self.rng.u8(..100) {
            0..=9 => None,
            _ => Some(user.user_id.is_none()),
        };
        let (domain_userid, user_id) = (user.domain_userid.clone(), user.user_id.clone());
        let (product_id, category, price) = item.clone();
        // A few broken rows, as real trackers produce: no product id.
        let product_id = (self.rng.u16(..1000) >= 3).then_some(product_id);
        let t = self.time();
        let c = &mut self.columns;
        c.text(0, Some(&id));
        c.text(1, Some(&domain_userid));
        c.text(2, user_id.as_deref());
        c.time(3, t);
        c.text(4, Some(action));
        c.text(5, product_id.as_deref());
        c.text(6, category);
        c.float(7, price);
        c.boolean(8, view);
        c.boolean(9, transaction);
        c.boolean(10, guest);
    }

    fn media_row(&mut self) {
        let id = uuid(&mut self.rng);
        let user = &self.users[Popularity::Cubic.pick(&mut self.rng, self.users.len())];
        let item = &self.items[(self.item_popularity).pick(&mut self.rng, self.items.len())];
        let valid = match self.rng.u8(..100) {
            0..=79 => Some(true),
            80..=94 => Some(false),
            _ => None,
        };
        let (user_identifier, user_id) = (user.domain_userid.clone(), user.user_id.clone());
        // A few plays tracked without any user id.
        let (user_identifier, user_id) = match self.rng.u16(..1000) {
            0..=2 => (None, None),
            _ => (Some(user_identifier), user_id),
        };
        let media = item.0.clone();
        let t = self.time();
        let c = &mut self.columns;
        c.text(0, Some(&id));
        c.text(1, user_id.as_deref());
        c.text(2, user_identifier.as_deref());
        c.text(3, Some(&media));
        c.time(4, t);
        c.boolean(5, valid);
    }
}

/// Maps a roll under `share` percent onto the classic interaction rolls (views 13 to
/// transactions 1), and the rest onto the classic non-interaction rolls.
fn remap_roll(rng: &mut fastrand::Rng, roll: u8, share: u8) -> u8 {
    if roll < share {
        rng.u8(..70)
    } else {
        rng.u8(70..100)
    }
}
